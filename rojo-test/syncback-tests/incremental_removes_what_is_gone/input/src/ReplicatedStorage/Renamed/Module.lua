return 'same module, folder renamed'
