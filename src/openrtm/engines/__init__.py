"""Engines: how nodes share message routing and presence (memory for one node, Redis later)."""
