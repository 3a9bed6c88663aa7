"""What staff do in the console, step by step, and the staff members the browser tests enrol.

Members are made as an operator makes them, with `onramp staff create`; the test reads the
setup code and the `otpauth://` address it prints and computes the second factor's codes with
pyotp, as an authenticator app would.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, Shots
from tests.browser.steps import ERRORS, screen

STAFF_PASSWORD = "staff-horse-7"
# The server takes a code of the current 30-second step or the one either side of it.
STEP_S = 30


@dataclass
class Member:
    email: str
    otpauth_url: str
    setup_code: str | None
    last_step: int = -1

    @property
    def totp(self) -> pyotp.TOTP:
        return pyotp.parse_uri(self.otpauth_url)

    def code(self) -> str:
        """A code the server takes now: of a step later than the last one used (no code works
        twice), no later than the next step (its allowed skew); waits when it must."""
        while True:
            current = int(time.time() // STEP_S)
            step = max(self.last_step + 1, current)
            if step <= current + 1:
                self.last_step = step
                return str(self.totp.generate_otp(step))
            time.sleep(0.5)

    def new_factor(self, otpauth_url: str) -> None:
        """After an admin reset: a new secret, and no step used yet."""
        self.otpauth_url = otpauth_url
        self.last_step = -1


def enrol(server: Server, email: str, role: str) -> Member:
    """`onramp staff create`, read as the person enrolling a member reads it."""
    printed = server.cli("staff", "create", "--email", email, "--role", role)
    setup = re.search(r"setup code[^:]*: (\S+)$", printed, flags=re.MULTILINE)
    address = re.search(r"(otpauth://\S+)$", printed, flags=re.MULTILINE)
    assert setup, printed
    assert address, printed
    return Member(email, address[1], setup[1])


def staff_api(server: Server, query: str, variables: dict[str, Any]) -> Any:
    response = httpx.post(
        f"{server.url}/staff/graphql", json={"query": query, "variables": variables}, timeout=10
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def set_password_via_api(server: Server, member: Member) -> None:
    """The member's first step, done outside the console (the console's own form is tested
    once, with the first member)."""
    payload = staff_api(
        server,
        f"""mutation($input: SetPasswordInput!) {{ setPassword(input: $input) {{ {ERRORS} }} }}""",
        {
            "input": {
                "email": member.email,
                "setupCode": member.setup_code,
                "password": STAFF_PASSWORD,
                "totpCode": member.code(),
            }
        },
    )["setPassword"]
    assert payload["errors"] == [], payload


def sign_in(page: Page, server: Server, member: Member, shots: Shots | None = None) -> None:
    """From the console's address, signed out: the sign-in screen, then the queue. The form
    is sent with the Enter key."""
    page.goto(f"{server.url}/staff")
    screen(page, "signin")
    page.get_by_label("Email address").fill(member.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(member.code())
    if shots:
        shots(page, "staff-sign-in")
    page.get_by_label("Code from your authenticator app").press("Enter")
    screen(page, "queue")
    expect(page.get_by_role("button", name=re.compile(re.escape(member.email)))).to_be_visible()


def fits_the_screen(page: Page) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"
