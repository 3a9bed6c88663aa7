"""GraphiQL served whole by Onramp: its page and assets come from this server, so it works
on a machine with no internet.

The assets are the UMD builds Strawberry's own page loads from a CDN (fetched again with
`web/graphiql/fetch-assets.sh`); the page is Strawberry's, with each CDN address pointed
at this server. The files are byte for byte the same, so the page's integrity hashes hold.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

ASSETS = Path(__file__).resolve().parent.parent / "web" / "graphiql"
ASSETS_PATH = "/graphiql/assets"
# Where Strawberry's page loads each asset from, and the file that stands in for it here.
CDN_FILES = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": (
        "react-dom.production.min.js"
    ),
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": (
        "plugin-explorer.umd.js"
    ),
}


@cache
def graphiql_page() -> str:
    page = get_graphql_ide_html(graphql_ide="graphiql")
    for cdn, name in CDN_FILES.items():
        if cdn not in page:
            raise RuntimeError(f"Strawberry's GraphiQL page no longer loads {cdn}")
        page = page.replace(cdn, f"{ASSETS_PATH}/{name}")
    return page


def graphiql_assets() -> Mount:
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS), name="graphiql-assets")
