print("celeriac")
