"""GraphiQL at /graphql renders its editor with every asset from this server: a request to
any other host is aborted and fails the test (see `Watch`)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, Shots, Watch


def test_graphiql_renders_its_editor_without_leaving_the_machine(
    page: Page, server: Server, shots: Shots, watch: Watch
) -> None:
    assets: list[str] = []
    page.on("request", lambda r: assets.append(r.url) if "/graphiql/assets/" in r.url else None)
    with page.expect_response(
        lambda r: r.url.endswith("/graphql") and r.request.method == "POST"
    ) as introspection:
        page.goto(f"{server.url}/graphql")
    assert introspection.value.status == 200
    assert "__schema" in introspection.value.json()["data"]
    expect(page.get_by_test_id("graphiql-container")).to_be_visible()
    expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    expect(page.get_by_role("button", name="Execute query (Ctrl-Enter)")).to_be_visible()
    shots(page, "graphiql")
    assert len(assets) >= 7, assets  # react, react-dom, js-cookie, graphiql, explorer, 2 css
    assert watch.elsewhere == []
