"""The reference frontend as the server serves it: every route Onramp's links name answers the
page, and so does every route of the staff console (with its own, stricter policy); no API
route is shadowed, config.js says where the API is, and the page's files exist.

What the page does is tested in a real browser (tests/browser/); these run without one.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.routing import Route

from api.frontend import PAGE_PATHS, STAFF_PAGE_PATHS, WEB_APP
from models.staff import StaffRole
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, outbox
from tests.flows import bearer, enable_cloud, send_code, sign_up
from tests.staff_flows import (
    ME,
    SET_PASSWORD,
    SIGN_IN,
    STAFF_PASSWORD,
    START,
    code_at,
    enrol,
    signed_in_member,
    staff_client,
)

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
STAFF_ROUTES_IN_README = [
    "/staff",
    "/staff/sign-in",
    "/staff/set-password",
    "/staff/tickets/U2VydmljZVRpY2tldDox",
    "/staff/accounts",
    "/staff/accounts/QWNjb3VudDox",
    "/staff/members",
]
API_PATHS = (
    "/graphql",
    "/staff/graphql",
    "/graphiql/assets/graphiql.min.js",
    "/sandbox/tokens",
    "/sandbox/bank/token",
    "/webhooks/payments",
    "/dev/outbox",
    "/dev/outbox.json",
    "/healthz",
    "/readyz",
    "/config.js",
)


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


@pytest.mark.parametrize("path", STAFF_ROUTES_IN_README)
async def test_every_staff_console_route_answers_the_page_with_the_consoles_policy(
    default_app: Any, path: str
) -> None:
    async with http_client(default_app) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert INDEX_MARK in response.text
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    # Scripts from this server only (no Stripe.js), requests to this server only, never framed.
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == f"'self' {PUBLIC}"
    assert policy["frame-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-robots-tag"] == "noindex"


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/onboarding/unknown",
        "/onboarding",
        "/bills/a/b",
        "/legal/only-key",
        "/graphql/x",
        "/staff/tickets",
        "/staff/unknown",
        "/staff/accounts/a/b",
        "/staff/members/x",
        "/staff/graphql/x",
    ],
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
    for template in (*PAGE_PATHS, *STAFF_PAGE_PATHS):
        assert ":path}" not in template, template  # no catch-all
        pattern = Route(template, endpoint=lambda request: None).path_regex
        matched = [api for api in API_PATHS if pattern.match(api)]
        assert matched == [], f"{template} would answer {matched}"


async def test_the_staff_endpoint_is_not_shadowed_by_the_console(default_app: Any) -> None:
    async with http_client(default_app) as client:
        graphiql = await client.get("/staff/graphql", headers={"accept": "text/html"})
        query = await client.post("/staff/graphql", json={"query": "{ me { id } }"})
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    assert INDEX_MARK not in graphiql.text
    assert query.json() == {"data": {"me": None}}


async def test_the_console_signs_in_from_its_own_origin_and_no_other(app_factory: Any) -> None:
    """The console is served by Onramp, so its requests come from the public URL's origin:
    ONRAMP_STAFF_ALLOWED_ORIGINS' default. The customers' frontend elsewhere (the test
    settings' ONRAMP_FRONTEND_URL) is no staff origin: its page gets no staff cookie, and the
    cookie it would carry is not believed."""
    clock = FrozenClock(START)
    frontend = "https://app.example.test"
    async with app_factory(clock=clock, jobs=False) as app:
        member = await enrol(app, "sam@onramp.example", StaffRole.SUPPORT)
        console = staff_client(app)
        values = {"email": member.email, "setupCode": member.setup_code}
        values |= {"password": STAFF_PASSWORD, "totpCode": code_at(member, clock)}
        set_password = await console(SET_PASSWORD, {"input": values}, origin=PUBLIC)
        assert set_password["data"]["setPassword"]["errors"] == []
        page = await console.http.get("/staff/sign-in")
        sign_in = {"email": member.email, "password": STAFF_PASSWORD}
        clock.advance(seconds=30)
        elsewhere = await console.post(
            SIGN_IN, {"input": sign_in | {"totpCode": code_at(member, clock)}}, origin=frontend
        )
        clock.advance(seconds=30)
        here = await console.post(
            SIGN_IN, {"input": sign_in | {"totpCode": code_at(member, clock)}}, origin=PUBLIC
        )
        me_here = (await console(ME, origin=PUBLIC))["data"]["me"]
        me_from_frontend = (await console(ME, origin=frontend))["data"]["me"]

    assert PUBLIC in page.headers["content-security-policy"]
    assert elsewhere.json()["data"]["signIn"]["errors"] == []
    assert "set-cookie" not in elsewhere.headers
    assert "onramp_staff_session=" in here.headers["set-cookie"]
    assert me_here["email"] == member.email
    assert me_from_frontend is None


async def test_a_staff_replys_email_links_to_the_customers_ticket_page(app_factory: Any) -> None:
    clock = FrozenClock(START)
    async with app_factory(clock=clock, jobs=False, frontend_url=None) as app:
        customer = GraphQLClient(http_client(app))
        customer.headers = bearer(await sign_up(customer, app, "omar@example.com"))
        opened = await customer(
            """mutation($input: SubmitServiceTicketInput!) { submitServiceTicket(input: $input) {
              ticket { id } errors { code } } }""",
            {"input": {"subject": "Card refused", "description": "Twice."}},
        )
        ticket_id = opened["data"]["submitServiceTicket"]["ticket"]["id"]
        _, support = await signed_in_member(app, clock, "sam@onramp.example", StaffRole.SUPPORT)
        replied = await support(
            """mutation($input: ReplyToTicketInput!) { replyToTicket(input: $input) {
              errors { code } } }""",
            {"input": {"ticketId": ticket_id, "body": "Please try again."}},
        )
        assert replied["data"]["replyToTicket"]["errors"] == []
        [mail] = [m for m in await outbox(app) if m["kind"] == "service-ticket-reply"]
        links = re.findall(rf"{re.escape(PUBLIC)}/\S+", mail["body"])
        async with http_client(app) as client:
            pages = [await client.get(link.removeprefix(PUBLIC)) for link in links]

    assert links == [f"{PUBLIC}/tickets/{ticket_id}"]
    assert [page.status_code for page in pages] == [200]
    assert INDEX_MARK in pages[0].text


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
    # Each route's screen module: the customer app's in screens/, the console's in staff/.
    for app, folder, fields in (("app.js", "screens", 2), ("staff/app.js", "staff", 1)):
        source = (WEB_APP / "assets" / app).read_text("utf-8")
        flags = r", (?:true|false)" * fields
        modules = re.findall(rf'\[/\^.*?/, "(\w+)"{flags}\]', source)
        assert len(modules) == source.count("[/^"), app
        for module in modules:
            assert (WEB_APP / "assets" / folder / f"{module}.js").is_file(), module


def test_every_library_is_pinned_by_its_fetch_script_and_has_its_licence() -> None:
    vendor = WEB_APP / "assets" / "vendor"
    script = (vendor / "fetch-assets.sh").read_text("utf-8")
    fetched = re.findall(r"^fetch (\S+@\d[\w.]*) (.+)$", script, flags=re.MULTILINE)
    assert {spec.rsplit("@", 1)[0] for spec, _ in fetched} == {"graphql-ws", "marked", "uqr"}
    written = {name for _, pairs in fetched for name in pairs.split()[1::2]}
    assert written == {p.name for p in vendor.iterdir() if p.name != "fetch-assets.sh"}
    for library in ("graphql-ws", "marked", "uqr"):
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
