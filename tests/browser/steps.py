"""What a person does in the reference frontend, step by step, shared by the browser tests."""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Server, Shots


def screen(page: Page, name: str) -> None:
    """Waits until the router has drawn the screen `name` (the module it loaded)."""
    expect(page.locator("body")).to_have_attribute("data-screen", name)


def register(
    page: Page,
    server: Server,
    shots: Shots,
    email: str,
    *,
    region: str = "DE",
    kind: str = "HUAWEI_ID",
) -> None:
    """Region and kind, email, the emailed code, a password that meets the policy."""
    page.goto(f"{server.url}/")
    screen(page, "home")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Country or region").select_option(region)
    page.get_by_label(re.compile("^HUAWEI ID" if kind == "HUAWEI_ID" else "^HUAWEI CLOUD")).check()
    page.get_by_label("Email address").fill(email)
    shots(page, "region-and-email")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("Code from the email")).to_be_visible()
    page.get_by_label("Code from the email").fill(server.code_for(email))
    password = page.get_by_label("Password", exact=True)
    password.fill("short")
    expect(page.get_by_role("listitem").filter(has_text="A digit")).not_to_have_class("met")
    password.fill(PASSWORD)
    for rule in page.get_by_role("list", name="Password rules").get_by_role("listitem").all():
        expect(rule).to_have_class("met")
    shots(page, "code-and-password")
    page.get_by_role("button", name="Create account").click()


def verify_phone(page: Page, server: Server, number: str, e164: str) -> None:
    page.get_by_label("Phone number").fill(number)
    page.get_by_role("button", name="Send code by SMS").click()
    expect(page.get_by_label("Code from the SMS")).to_be_visible()
    page.get_by_label("Code from the SMS").fill(server.code_for(e164))
    page.get_by_role("button", name="Verify").click()


def accept_agreements_and_enable(page: Page, shots: Shots) -> None:
    boxes = page.locator(".accept-agreement")
    expect(boxes.first).to_be_visible()
    for index in range(boxes.count()):
        boxes.nth(index).check()
    shots(page, "agreements-accepted")
    page.get_by_role("button", name="Enable cloud services").click()


def fill_card(page: Page, number: str, holder: str = "Erika Mustermann") -> None:
    page.get_by_label("Name on the card").fill(holder)
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").select_option("12")
    page.get_by_label("Expiry year").select_option(str(date.today().year + 3))
    page.get_by_label("Security code").fill("123")


def bank_page_answers(page: Page, shots: Shots, answer: str) -> None:
    """On the sandbox bank's page (another page of the gateway), approve or decline."""
    page.wait_for_url(re.compile(r"/sandbox/bank/"))
    expect(page.get_by_role("heading", name=re.compile("confirm it is you"))).to_be_visible()
    shots(page, "bank-page")
    page.get_by_role("button", name=answer).click()


def wait_for(check: Any, what: str, timeout_s: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout_s} s"
        time.sleep(0.1)
