return 'old source'
