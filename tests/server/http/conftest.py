"""A REST client for the tests that checks every answer against the OpenAPI document.

Every REST test talks through :class:`RestClient`: each response's status must be documented
for its path and method in ``/openapi.json`` (the live document), and its JSON body must
validate against the documented schema, so the document cannot drift from what is served.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from openrtm.server import AppSpec, Server
from openrtm.server.config import RestCredential
from openrtm.server.http.openapi import DOCUMENT
from tests.conftest import APP_CERT, APP_ID, OTHER_APP_ID, ServerFactory

CUSTOMER_ID = "customer-1"
CUSTOMER_SECRET = "s3cret:with colon"
BASIC = {"Authorization": "Basic " + base64.b64encode(b"customer-1:s3cret:with colon").decode()}

_DOC_URI = "urn:openrtm:openapi"
_REGISTRY: Registry[Any] = Registry().with_resource(
    _DOC_URI, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)
_TEMPLATES = [
    (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
    for path in DOCUMENT["paths"]
]


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def check_against_document(method: str, path: str, status: int, body: Any) -> None:
    """Assert that ``status`` is documented for ``method path`` and ``body`` matches it."""
    template = next((t for regex, t in _TEMPLATES if regex.match(path)), None)
    if template is None or method.lower() not in DOCUMENT["paths"][template]:
        # Not an operation of the API (an unknown path or method): the one error shape.
        assert status in (404, 405), (method, path, status)
        schema_ref = "#/components/schemas/Error"
    else:
        responses = DOCUMENT["paths"][template][method.lower()]["responses"]
        assert str(status) in responses, f"{method} {template}: {status} is not documented"
        schema_ref = "#/" + _pointer(
            "paths", template, method.lower(), "responses", str(status), "content"
        )
        schema_ref += "/application~1json/schema"
    validator = jsonschema.Draft202012Validator({"$ref": _DOC_URI + schema_ref}, registry=_REGISTRY)
    validator.validate(body)


@dataclass
class Answer:
    """A checked response: its status, JSON body and headers."""

    status: int
    body: Any
    headers: Any


class RestClient:
    """Real HTTP requests to a server's HTTP face; every answer checked against the document."""

    def __init__(self, http: aiohttp.ClientSession, server: Server) -> None:
        self.http = http
        self.server = server

    def url(self, path: str) -> str:
        return self.server.http_url.rstrip("/") + path

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        async with self.http.request(
            method, self.url(path), json=json, data=data, headers=headers, params=params
        ) as response:
            assert response.content_type == "application/json", await response.text()
            body = await response.json()
            check_against_document(method, path, response.status, body)
            return Answer(response.status, body, response.headers)

    async def peer(
        self,
        sender: str,
        body: Any,
        headers: dict[str, str] | None = None,
        app_id: str = APP_ID,
        wait_for_ack: str | None = None,
    ) -> Answer:
        params = None if wait_for_ack is None else {"wait_for_ack": wait_for_ack}
        return await self.request(
            "POST",
            f"/dev/v2/project/{app_id}/rtm/users/{sender}/peer_messages",
            json=body,
            headers=BASIC if headers is None else headers,
            params=params,
        )

    async def channel(
        self, sender: str, body: Any, headers: dict[str, str] | None = None, app_id: str = APP_ID
    ) -> Answer:
        return await self.request(
            "POST",
            f"/dev/v2/project/{app_id}/rtm/users/{sender}/channel_messages",
            json=body,
            headers=BASIC if headers is None else headers,
        )

    async def events(
        self, kind: str, headers: dict[str, str] | None = None, app_id: str = APP_ID
    ) -> Answer:
        return await self.request(
            "GET",
            f"/dev/v2/project/{app_id}/rtm/vendor/{kind}_events",
            headers=BASIC if headers is None else headers,
        )


REST_CREDENTIALS = (RestCredential(CUSTOMER_ID, CUSTOMER_SECRET),)


@pytest.fixture
async def rest_server(start_server: ServerFactory) -> Server:
    """``APP_ID`` needs tokens, ``OTHER_APP_ID`` is App-ID-only; one customer credential."""
    return await start_server(
        apps=(AppSpec(APP_ID, APP_CERT), AppSpec(OTHER_APP_ID)),
        rest_credentials=REST_CREDENTIALS,
    )


@pytest.fixture
async def rest(rest_server: Server) -> AsyncIterator[RestClient]:
    """A checked REST client of ``rest_server``."""
    async with aiohttp.ClientSession() as http:
        yield RestClient(http, rest_server)
