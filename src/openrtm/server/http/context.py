"""What a handler of the HTTP face finds on its application."""

from __future__ import annotations

from aiohttp import web

from openrtm.server.node import Node

__all__ = ["NODE"]

NODE = web.AppKey("node", Node)
"""The Node the HTTP face acts on: ``request.app[NODE]``."""
