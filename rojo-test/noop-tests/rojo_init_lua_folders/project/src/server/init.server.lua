print("server started")
