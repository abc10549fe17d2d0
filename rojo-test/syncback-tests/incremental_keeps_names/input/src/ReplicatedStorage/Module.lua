return 'changed source'
