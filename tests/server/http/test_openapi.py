"""The OpenAPI document: valid OpenAPI 3.1, served live, and describing every route served."""

from __future__ import annotations

from openapi_spec_validator import OpenAPIV31SpecValidator

from openrtm.server import Server
from openrtm.server.http.openapi import DOCUMENT
from tests.server.http.conftest import RestClient


async def test_the_served_document_is_valid_openapi_3_1(rest: RestClient) -> None:
    answer = await rest.request("GET", "/openapi.json")
    assert answer.status == 200
    assert answer.body == DOCUMENT
    assert answer.body["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(answer.body).validate()  # raises on any violation of OpenAPI 3.1


async def test_every_route_served_is_documented_with_its_method(rest_server: Server) -> None:
    # The live application's routes: a route added without its documentation fails here.
    from openrtm.server.http.app import build_app

    app = build_app(rest_server.node)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        # HEAD follows GET; OPTIONS are the CORS preflights of the media routes.
        if route.resource is not None and route.method not in ("HEAD", "OPTIONS")
    }
    documented = {(method, path) for path, item in DOCUMENT["paths"].items() for method in item}
    assert served == documented


async def test_health_answers_match_the_document(rest: RestClient, rest_server: Server) -> None:
    assert (await rest.request("GET", "/healthz")).status == 200
    assert (await rest.request("GET", "/readyz")).status == 200
    rest_server.node.ready = False
    assert (await rest.request("GET", "/readyz")).status == 503
    rest_server.node.ready = True
