"""The Python SDK: the Web SDK's API in snake_case, with asyncio (design §4)."""
