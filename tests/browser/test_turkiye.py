"""Türkiye: a HUAWEI_ID is warned at region choice, can register, but cannot enable cloud
services; a HUAWEI_CLOUD account with the same email can. Then a code asked for too often
shows when to try again."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Server, Shots
from tests.browser.steps import accept_agreements_and_enable, screen


def send_code_and_register(page: Page, server: Server, email: str) -> None:
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("Code from the email")).to_be_visible()
    page.get_by_label("Code from the email").fill(server.code_for(email))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_a_huawei_id_in_turkiye_is_warned_and_blocked(
    page: Page, server: Server, shots: Shots
) -> None:
    email = "deniz@example.com"
    page.goto(f"{server.url}/register")
    screen(page, "register")
    warning = page.locator("#cloud-warning")
    page.get_by_label("Country or region").select_option("DE")
    expect(warning).to_be_hidden()
    page.get_by_label("Country or region").select_option("TR")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(
        "A HUAWEI ID registered in Türkiye cannot enable cloud services"
    )
    expect(warning).to_contain_text("register a HUAWEI CLOUD account instead")
    shots(page, "turkiye-warning")

    # Registering anyway works; enabling cloud services is blocked, with the reason.
    page.get_by_label("Email address").fill(email)
    send_code_and_register(page, server, email)
    page.wait_for_url(re.compile("/onboarding/security-phone$"))
    progress = page.get_by_role("navigation", name=re.compile("Sign-up progress"))
    for blocked in ("Enable cloud services", "Mobile number", "Account details", "Payment method"):
        expect(progress.locator("li.BLOCKED").filter(has_text=blocked)).to_contain_text("blocked")
    page.goto(f"{server.url}/onboarding/enable-cloud")
    screen(page, "enable")
    reason = page.get_by_role("alert")
    expect(reason).to_contain_text("HUAWEI CLOUD")
    expect(page.get_by_role("button", name="Enable cloud services")).to_have_count(0)
    shots(page, "enable-blocked")
    instead = page.get_by_role("link", name="register a HUAWEI CLOUD account").get_attribute("href")
    assert instead is not None

    # Signed out, the link starts a HUAWEI_CLOUD registration for the same email and region.
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    screen(page, "signin")
    page.goto(f"{server.url}{instead}")
    screen(page, "register")
    expect(page.get_by_label("Country or region")).to_have_value("TR")
    expect(page.get_by_label(re.compile("^HUAWEI CLOUD"))).to_be_checked()
    expect(page.get_by_label("Email address")).to_have_value(email)
    expect(warning).to_be_hidden()
    send_code_and_register(page, server, email)

    # This account skips the security phone and enables cloud services.
    page.wait_for_url(re.compile("/onboarding/security-phone$"))
    screen(page, "phone")
    page.get_by_role("button", name="Skip for now").click()
    page.wait_for_url(re.compile("/onboarding/enable-cloud$"))
    screen(page, "enable")
    accept_agreements_and_enable(page, shots)
    page.wait_for_url(re.compile("/onboarding/mobile$"))
    screen(page, "phone")
    progress = page.get_by_role("navigation", name=re.compile("Sign-up progress"))
    expect(progress.locator("li.SKIPPED")).to_contain_text("Security phone")
    expect(progress.locator("li.COMPLETED")).to_have_count(2)
    expect(progress.locator("li.BLOCKED")).to_have_count(0)
    shots(page, "huawei-cloud-enabled")


def test_a_code_asked_for_too_often_says_when_to_try_again(
    page: Page, server: Server, shots: Shots
) -> None:
    page.goto(f"{server.url}/register")
    screen(page, "register")
    page.get_by_label("Country or region").select_option("FR")
    page.get_by_label("Email address").fill("often@example.com")
    page.get_by_role("button", name="Send code").click()
    send = page.get_by_role("button", name="Send another code")
    send.click()
    expect(send).to_be_enabled()
    send.click()
    email = page.get_by_label("Email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    message = page.locator("[data-field=email] ~ .field-error")
    expect(message).to_have_text(re.compile(r"Try again at \d\d:\d\d:\d\d \(in \d+ seconds\)\.$"))
    expect(email).to_be_focused()
    shots(page, "rate-limited")
