print("client started")
