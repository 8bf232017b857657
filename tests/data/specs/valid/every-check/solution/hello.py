print("hello os")
