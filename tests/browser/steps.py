"""What a person does in the reference frontend, step by step, shared by the browser tests."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date
from typing import Any

import httpx
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
    expect(page.get_by_label("Code from the email")).to_be_hidden()
    expect(page.get_by_role("button", name="Create account")).to_be_hidden()
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


ERRORS = "errors { field code message }"


def account_via_api(
    server: Server,
    email: str,
    *,
    region: str = "DE",
    kind: str = "HUAWEI_ID",
    security_phone: str | None = None,
    enable: bool = True,
    details: bool = True,
) -> str:
    """Signs up through the API, as another frontend would; returns the session token."""
    sent = server.graphql(
        f"""mutation($input: SendRegistrationCodeInput!) {{
          sendRegistrationCode(input: $input) {{ {ERRORS} }} }}""",
        {"input": {"email": email, "kind": kind}},
    )
    assert sent["sendRegistrationCode"]["errors"] == []
    registered = server.graphql(
        f"""mutation($input: RegisterInput!) {{ register(input: $input) {{
          session {{ token }} {ERRORS} }} }}""",
        {
            "input": {
                "kind": kind,
                "regionCode": region,
                "email": email,
                "emailCode": server.code_for(email),
                "password": PASSWORD,
            }
        },
    )["register"]
    assert registered["errors"] == [], registered
    token: str = registered["session"]["token"]
    if security_phone:
        number, e164 = security_phone.split("=")
        phone = {"regionCode": region, "phoneNumber": number}
        asked = server.graphql(
            f"""mutation($input: SendPhoneCodeInput!) {{ sendPhoneCode(input: $input) {{
              {ERRORS} }} }}""",
            {"input": {**phone, "purpose": "SECURITY_PHONE"}},
            token,
        )
        assert asked["sendPhoneCode"]["errors"] == []
        done = server.graphql(
            f"""mutation($input: VerifyPhoneInput!) {{ setSecurityPhone(input: $input) {{
              {ERRORS} }} }}""",
            {"input": {**phone, "code": server.code_for(e164)}},
            token,
        )
        assert done["setSecurityPhone"]["errors"] == []
    if enable:
        ids = [a["id"] for a in server.graphql("{ agreements { id } }")["agreements"]]
        enabled = server.graphql(
            f"""mutation($input: EnableCloudServicesInput!) {{
              enableCloudServices(input: $input) {{ {ERRORS} }} }}""",
            {"input": {"acceptedAgreementIds": ids}},
            token,
        )
        assert enabled["enableCloudServices"]["errors"] == []
    if details:
        completed = server.graphql(
            f"""mutation($input: AccountDetailsInput!) {{
              completeAccountDetails(input: $input) {{ {ERRORS} }} }}""",
            {"input": {"individual": {"fullName": "Jonas Beispiel"}}},
            token,
        )
        assert completed["completeAccountDetails"]["errors"] == []
    return token


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    screen(page, "signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def card_via_api(server: Server, token: str, number: str, holder: str = "Jonas Beispiel") -> Any:
    """Binds a card as another frontend would: the gateway's tokenizer, `bindCard`, the bank
    page approved; returns the attempt once it has ended (SUCCEEDED or FAILED)."""
    gateway = server.graphql("{ paymentGateway { tokenizationUrl publishableKey } }")
    gateway = gateway["paymentGateway"]
    tokenized = httpx.post(
        gateway["tokenizationUrl"],
        json={
            "number": number.replace(" ", ""),
            "expMonth": 12,
            "expYear": date.today().year + 3,
            "cvc": "123",
            "holderName": holder,
        },
        headers={"authorization": f"Bearer {gateway['publishableKey']}"},
        timeout=10,
    )
    assert tokenized.status_code == 200, tokenized.text
    bound = server.graphql(
        f"""mutation($input: BindCardInput!) {{ bindCard(input: $input) {{
          attempt {{ id nextAction {{ redirectUrl }} }} {ERRORS} }} }}""",
        {
            "input": {
                "paymentMethodToken": tokenized.json()["id"],
                "acceptServiceTerms": True,
                "returnUrl": f"{server.url}/cards",
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
        token,
    )["bindCard"]
    assert bound["errors"] == [], bound
    answered = httpx.post(
        bound["attempt"]["nextAction"]["redirectUrl"], data={"outcome": "approve"}, timeout=10
    )
    assert answered.status_code == 303, answered.text
    query = """query($id: ID!) { node(id: $id) { ... on CardBindingAttempt {
      id status depositStatus result card { id } } } }"""

    def ended() -> Any:
        attempt = server.graphql(query, {"id": bound["attempt"]["id"]}, token)["node"]
        return attempt if attempt["status"] in ("SUCCEEDED", "FAILED") else None

    return wait_for(ended, f"the binding of {number}")


def ticket_via_api(
    server: Server, token: str, subject: str, description: str, attempt_id: str | None = None
) -> Any:
    """Opens a service ticket as another frontend would; returns {id, number}."""
    opened = server.graphql(
        f"""mutation($input: SubmitServiceTicketInput!) {{ submitServiceTicket(input: $input) {{
          ticket {{ id number }} {ERRORS} }} }}""",
        {
            "input": {
                "subject": subject,
                "description": description,
                "cardBindingAttemptId": attempt_id,
            }
        },
        token,
    )["submitServiceTicket"]
    assert opened["errors"] == [], opened
    return opened["ticket"]
