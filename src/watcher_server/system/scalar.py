"""Scalar's API reference of our OpenAPI document, served from the vendored bundle.

Out of the box the bundle reaches its makers' servers (web fonts, an AI agent, an MCP
integration, telemetry); every one of those is turned off here, so the page only ever asks
this server for the bundle and /openapi.json.
"""

import json
from pathlib import Path

from starlette.staticfiles import StaticFiles

from watcher_server.ui.templating import STATIC_URL

SCALAR_VERSION = "1.76.4"
ASSETS_URL = "/scalar/assets"
assets = StaticFiles(directory=Path(__file__).parent / "static" / "vendor")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{favicon}" type="image/svg+xml">
</head>
<body>
<div id="app"></div>
<script src="{bundle}"></script>
<script>Scalar.createApiReference("#app", {configuration});</script>
</body>
</html>
"""


def scalar_configuration(openapi_url: str) -> dict[str, object]:
    """Scalar's options: our document, and nothing that calls scalar.com or a font server.
    The proxy stays unset, so "Test Request" calls this server directly."""
    return {
        "url": openapi_url,
        "withDefaultFonts": False,
        "telemetry": False,
        "agent": {"disabled": True},
        "mcp": {"disabled": True},
        "hideClientButton": True,
        "showDeveloperTools": "never",
        "documentDownloadType": "json",
    }


def scalar_page(root_path: str, openapi_url: str, title: str) -> str:
    """The HTML page that loads the bundle and renders the reference of `openapi_url`."""
    bundle = f"{root_path}{ASSETS_URL}/scalar-api-reference-{SCALAR_VERSION}/standalone.js"
    configuration = json.dumps(scalar_configuration(f"{root_path}{openapi_url}"))
    # A "</" in the JSON would end the script element early.
    return _PAGE.format(
        title=title,
        favicon=f"{root_path}{STATIC_URL}/favicon.svg",
        bundle=bundle,
        configuration=configuration.replace("</", "<\\/"),
    )
