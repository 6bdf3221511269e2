"""The engine's own pages: the index, each API's Swagger UI and spec, the UI's assets and the
favicon. (The admin endpoints are an API of their own: admin.yaml, admin_api.py.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from .docs import asset, favicon, index_html, page_auth, swagger_page
from .responses import json_response

if TYPE_CHECKING:
    from .app import Understudy

ASSETS_URL = "/__understudy/swagger-ui"
FAVICON = "/favicon.ico"


def origin_of(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def api_listing(server: "Understudy", request: Request) -> list[dict]:
    origin = origin_of(request)
    creds = server.credentials()
    listing = []
    for name, mount in server.mounts.items():
        base_url = origin + mount.base_path
        listing.append({
            "name": name,
            "title": mount.api.title,
            "base_url": base_url,
            "ui": f"{origin}{mount.prefix}/ui/",
            "spec": f"{origin}{mount.prefix}/openapi.json",
            "credentials": creds[name],
            "example": mount.api.example.format(base=base_url),
        })
    return listing


def router(server: "Understudy") -> Router:
    async def index(request: Request) -> Response:
        listing = api_listing(server, request)
        accept = request.headers.get("accept", "")
        if "text/html" in accept and "application/json" not in accept.split(",")[0]:
            return HTMLResponse(index_html(listing, origin_of(request)))
        return json_response({"apis": listing, "admin": {
            "ui": "/__understudy/ui/", "reset": "/__understudy/reset", "requests": "/__understudy/requests",
            "credentials": "/__understudy/credentials"}})

    async def icon(request: Request) -> Response:
        return Response(favicon(), media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    async def swagger_asset(request: Request) -> Response:
        found = asset(request.path_params["name"])
        if found is None:
            return json_response({"error": "not found"}, 404)
        body, media_type = found
        return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=3600"})

    routes = [
        Route("/", index),
        Route("/__understudy/", index),  # where a spec served at the root has a path "/" of its own
        Route(FAVICON, icon),
        Route(ASSETS_URL + "/{name:path}", swagger_asset),
    ]
    for mount in server.mounts.values():
        routes += doc_routes(mount, server.config)
        routes += doc_routes(mount, server.config, f"/__understudy/apis/{mount.name}")  # always reachable
    routes += doc_routes(server.admin, server.config)

    async def not_found(scope, receive, send) -> None:
        path = scope["path"]
        response = json_response({"error": f"No API or page at {path}", "apis": [
            m.base_path for m in server.mounts.values()]}, 404)
        await response(scope, receive, send)

    return Router(routes=routes, default=not_found)


def doc_routes(mount, config, at: str | None = None) -> list[Route]:
    """The API's Swagger UI (authorized with its demo credentials) and spec, under its prefix (or `at`)."""
    at = mount.prefix if at is None else at

    async def ui(request: Request) -> Response:
        demo = mount.api.contract_auth(config) if mount.api.contract_auth else {}
        return HTMLResponse(swagger_page(mount.api.title, f"{at}/openapi.json", ASSETS_URL,
                                         page_auth(mount.spec, demo)))

    async def ui_redirect(request: Request) -> Response:
        return RedirectResponse(f"{at}/ui/")

    async def spec(request: Request) -> Response:
        return json_response(mount.spec)

    return [
        Route(f"{at}/ui/", ui),
        Route(f"{at}/ui", ui_redirect),
        Route(f"{at}/openapi.json", spec),
    ]
