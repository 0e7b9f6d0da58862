"""Sans-I/O protocol layer shared by the server and the Python SDK (design §2)."""
