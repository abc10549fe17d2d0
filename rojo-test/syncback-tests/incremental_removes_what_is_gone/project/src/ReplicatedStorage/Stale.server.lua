print('stale script')
