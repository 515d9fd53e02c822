"""System tests: the services run as separate processes, as a pilot would run them."""
