"""The reference frontend as the server serves it: every route Onramp's links name answers the
page, no API route is shadowed, config.js says where the API is, and the page's files exist.

What the page does is tested in a real browser (tests/browser/); these run without one.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from api.frontend import PAGE_PATHS, WEB_APP
from tests.conftest import GraphQLClient, http_client, outbox
from tests.flows import enable_cloud, send_code, sign_up

PUBLIC = "http://testserver.local"
INDEX_MARK = '<script type="module" src="/assets/app.js"></script>'
ROUTES_IN_README = [
    "/",
    "/register",
    "/sign-in",
    "/reset-password",
    "/onboarding/security-phone",
    "/onboarding/enable-cloud",
    "/onboarding/mobile",
    "/onboarding/details",
    "/onboarding/payment",
    "/cards",
    "/bills",
    "/bills/QmlsbDox",
    "/tickets",
    "/tickets/U2VydmljZVRpY2tldDox",
    "/legal/customer-agreement/2026.1",
    "/legal/privacy-statement/1999.9",
]


@pytest.fixture
async def default_app(app_factory: Any) -> Any:
    """ONRAMP_FRONTEND_URL left at its default: the server's own address."""
    async with app_factory(frontend_url=None, limit_codes_per_destination="10/minute") as app:
        yield app


@pytest.mark.parametrize("path", ROUTES_IN_README)
async def test_every_frontend_route_answers_the_page(default_app: Any, path: str) -> None:
    async with http_client(default_app) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert INDEX_MARK in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' https://js.stripe.com;" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize(
    "path",
    ["/nope", "/onboarding/unknown", "/onboarding", "/bills/a/b", "/legal/only-key", "/graphql/x"],
)
async def test_other_paths_are_still_not_found(default_app: Any, path: str) -> None:
    async with http_client(default_app) as client:
        response = await client.get(path)
    assert response.status_code == 404
    assert INDEX_MARK not in response.text


async def test_no_api_route_is_shadowed(default_app: Any) -> None:
    async with http_client(default_app) as client, http_client(default_app, "127.0.0.1") as local:
        graphiql = await client.get("/graphql", headers={"accept": "text/html"})
        query = await client.post("/graphql", json={"query": "{ passwordPolicy { minLength } }"})
        health = await client.get("/healthz")
        tokens = await client.post("/sandbox/tokens", json={})
        bank = await client.get("/sandbox/bank/no-such-token")
        webhook = await client.post("/webhooks/payments", content=b"{}")
        dev_outbox = await local.get("/dev/outbox")
        dev_outbox_json = await local.get("/dev/outbox.json")
        asset = await client.get("/graphiql/assets/graphiql.min.js")
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    assert INDEX_MARK not in graphiql.text
    assert query.json() == {"data": {"passwordPolicy": {"minLength": 8}}}
    assert health.status_code == 200
    assert tokens.status_code == 401
    assert tokens.json()["error"]["code"] == "invalid_key"
    assert bank.status_code == 410
    assert webhook.status_code == 400
    assert dev_outbox.status_code == 200
    assert "<h1>Outbox</h1>" in dev_outbox.text
    assert "messages" in dev_outbox_json.json()
    assert asset.status_code == 200


def test_the_frontend_routes_cannot_match_an_api_path() -> None:
    api_prefixes = ("/graphql", "/graphiql", "/sandbox", "/webhooks", "/dev", "/healthz", "/readyz")
    for path in PAGE_PATHS:
        assert not path.startswith(api_prefixes), path
    assert "/{path:path}" not in PAGE_PATHS


async def test_config_js_says_where_the_api_is(app_factory: Any) -> None:
    async with app_factory(public_url="https://api.example.test") as app, http_client(app) as c:
        response = await c.get("/config.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    config = _config(response.text)
    example = _config((WEB_APP / "config.example.js").read_text("utf-8"))
    assert set(example) == set(config)
    assert config == {
        "apiUrl": "https://api.example.test",
        "outboxUrl": "https://api.example.test/dev/outbox",
        "stripeJsUrl": "https://js.stripe.com/v3/",
    }


async def test_config_js_names_no_outbox_outside_development(app_factory: Any) -> None:
    staging = {"env": "staging", "smtp_host": "127.0.0.1", "sms_webhook_url": "http://127.0.0.1:9"}
    async with app_factory(**staging) as app, http_client(app) as client:
        config = _config((await client.get("/config.js")).text)
        page = await client.get("/sign-in")
    assert config["outboxUrl"] is None
    assert page.status_code == 200


async def test_every_link_onramp_sends_leads_to_a_page(default_app: Any) -> None:
    gql = GraphQLClient(http_client(default_app))
    email = "links@example.com"
    token = await sign_up(gql, default_app, email)
    gql.headers = {"authorization": f"Bearer {token}"}
    await send_code(gql, email)  # "you already have an account": sign-in and reset links
    progress = (await gql("{ onboarding { continueUrl } }"))["data"]["onboarding"]
    assert (await enable_cloud(gql))["errors"] == []
    read = await gql(
        """{ agreements { url } paymentGateway { serviceTerms { url } }
             me { messages { link } onboarding { continueUrl } } }"""
    )
    links = {progress["continueUrl"], read["data"]["me"]["onboarding"]["continueUrl"]}
    links |= {a["url"] for a in read["data"]["agreements"]}
    links.add(read["data"]["paymentGateway"]["serviceTerms"]["url"])
    links |= {m["link"] for m in read["data"]["me"]["messages"] if m["link"]}
    for message in await outbox(default_app):
        links |= set(re.findall(rf"{re.escape(PUBLIC)}/\S*", message["body"]))

    paths = sorted(link.removeprefix(PUBLIC) for link in links)
    assert {"/sign-in", "/reset-password", "/onboarding/mobile"} <= set(paths), paths
    assert any(path.startswith("/legal/") for path in paths)
    async with http_client(default_app) as client:
        for path in paths:
            response = await client.get(path)
            assert response.status_code == 200, path
            assert INDEX_MARK in response.text, path


def test_the_page_loads_only_files_that_exist() -> None:
    index = (WEB_APP / "index.html").read_text("utf-8")
    for reference in re.findall(r'(?:src|href)="(/assets/[^"]+)"', index):
        assert (WEB_APP / reference.lstrip("/")).is_file(), reference
    scripts = sorted((WEB_APP / "assets").rglob("*.js"))
    assert scripts
    for script in scripts:
        if "vendor" in script.parts:
            continue
        source = script.read_text("utf-8")
        imports = re.findall(r'(?:from|import\()\s*"(\.[^"]+)"', source)
        for target in imports:
            found = (script.parent / target).resolve()
            if found == WEB_APP / "config.js":
                # Written by the server (a static host copies config.example.js).
                found = WEB_APP / "config.example.js"
            assert found.is_file(), f"{script.name}: {target}"
    app = (WEB_APP / "assets" / "app.js").read_text("utf-8")
    for module in re.findall(r'\[/\^.*?/, "(\w+)", (?:true|false), (?:true|false)\]', app):
        assert (WEB_APP / "assets" / "screens" / f"{module}.js").is_file(), module


def test_every_library_is_pinned_by_its_fetch_script_and_has_its_licence() -> None:
    vendor = WEB_APP / "assets" / "vendor"
    script = (vendor / "fetch-assets.sh").read_text("utf-8")
    fetched = re.findall(r"^fetch (\S+@\d[\w.]*) (.+)$", script, flags=re.MULTILINE)
    assert {spec.rsplit("@", 1)[0] for spec, _ in fetched} == {"graphql-ws", "marked"}
    written = {name for _, pairs in fetched for name in pairs.split()[1::2]}
    assert written == {p.name for p in vendor.iterdir() if p.name != "fetch-assets.sh"}
    for library in ("graphql-ws", "marked"):
        assert "Permission is hereby granted" in (vendor / f"{library}.LICENSE.md").read_text()


async def test_assets_are_served_and_stay_inside_their_folder(default_app: Any) -> None:
    async with http_client(default_app) as client:
        script = await client.get("/assets/app.js")
        library = await client.get("/assets/vendor/graphql-ws.min.js")
        escape = await client.get("/assets/../../api/app.py")
        encoded = await client.get("/assets/%2e%2e/%2e%2e/api/app.py")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert library.status_code == 200
    assert escape.status_code == 404
    assert encoded.status_code == 404


def _config(script: str) -> dict[str, Any]:
    without_comments = re.sub(r"^\s*//.*$", "", script, flags=re.MULTILINE)
    match = re.search(r"Object\.freeze\((\{.*\})\);", without_comments, flags=re.DOTALL)
    assert match, script
    parsed: dict[str, Any] = json.loads(match[1])
    return parsed
