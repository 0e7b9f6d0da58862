"""The services: one module per domain, each owning its operations (design §2)."""
