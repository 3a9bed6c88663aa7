"""GraphiQL served whole by Onramp: its page and assets come from this server, so it works
on a machine with no internet.

The assets are the UMD builds Strawberry's own page loads from a CDN (fetched again with
`web/graphiql/fetch-assets.sh`); the page is Strawberry's, with each CDN address pointed
at this server. The files are byte for byte the same, so the page's integrity hashes hold.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

ASSETS = Path(__file__).resolve().parent.parent / "web" / "graphiql"
ASSETS_PATH = "/graphiql/assets"
# What Strawberry's page loads from a CDN (by package path), and the file standing in for it.
CDN_FILES = {
    "react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}


@cache
def graphiql_page() -> str:
    page = get_graphql_ide_html(graphql_ide="graphiql")
    for package_path, name in CDN_FILES.items():
        # Any host: only the package path says which file it is.
        pattern = re.compile(r'"https://[^"/]+/' + re.escape(package_path) + '"')
        page, found = pattern.subn(f'"{ASSETS_PATH}/{name}"', page)
        if not found:
            raise RuntimeError(f"Strawberry's GraphiQL page no longer loads {package_path}")
    return page


def graphiql_assets() -> Mount:
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS), name="graphiql-assets")
