"""The openrtm server: gateway, sessions, the node and its services (design §2)."""

from openrtm.server.config import AppSpec, ServerConfig
from openrtm.server.runner import Server

__all__ = ["AppSpec", "Server", "ServerConfig"]
