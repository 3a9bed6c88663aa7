"""The whole sign-up in a real browser, from region to a bound card and a paid bill."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Server, Shots
from tests.browser.steps import (
    accept_agreements_and_enable,
    bank_page_answers,
    fill_card,
    register,
    screen,
    verify_phone,
)

# Sandbox card: binds after the bank page; every later charge asks for the bank page, so
# the automatic charge of a bill fails with AUTHENTICATION_REQUIRED and the person pays it.
CARD_3DS_EVERY_TIME = "4000 0027 6000 3184"


def test_region_to_bound_card_and_paid_bill(page: Page, server: Server, shots: Shots) -> None:
    email = "erika@example.com"
    to_api: list[str] = []
    page.on(
        "request",
        lambda r: to_api.append(r.post_data or "") if r.url.endswith("/graphql") else None,
    )
    register(page, server, shots, email)

    # Step 3: the security phone (the progress bar shows registration done).
    page.wait_for_url(re.compile("/onboarding/security-phone$"))
    screen(page, "phone")
    progress = page.get_by_role("navigation", name=re.compile("Sign-up progress"))
    expect(progress).to_have_attribute("aria-label", re.compile("1 of 6 steps done"))
    expect(progress.locator("li[aria-current=step]")).to_contain_text("Security phone")
    shots(page, "security-phone")
    verify_phone(page, server, "01512 3456789", "+4915123456789")

    # Step 4: the agreements, in full; Enable without accepting shows the refusal by them.
    page.wait_for_url(re.compile("/onboarding/enable-cloud$"))
    screen(page, "enable")
    expect(page.get_by_role("region", name=re.compile("Customer Agreement"))).to_contain_text(
        "Your account"
    )
    page.get_by_role("button", name="Enable cloud services").click()
    agreements = page.locator("fieldset[data-field=acceptedAgreementIds]")
    expect(agreements.locator(".field-error")).to_be_visible()
    expect(agreements.locator("input").first).to_have_attribute("aria-invalid", "true")
    shots(page, "agreements-refused")
    accept_agreements_and_enable(page, shots)

    # Step 5.1 and 5.2: mobile, then an individual's details.
    page.wait_for_url(re.compile("/onboarding/mobile$"))
    screen(page, "phone")
    shots(page, "mobile")
    verify_phone(page, server, "01512 3456780", "+4915123456780")
    page.wait_for_url(re.compile("/onboarding/details$"))
    screen(page, "details")
    page.get_by_label("Full name").fill("Erika Mustermann")
    page.get_by_label("Street and number (optional)").fill("Hauptstraße 1")
    page.get_by_label("Postal code (optional)").fill("10115")
    page.get_by_label("City (optional)").fill("Berlin")
    shots(page, "details")
    page.get_by_role("button", name="Save details").click()

    # Step 5.3: the card goes to the gateway's tokenizer, never to the API.
    page.wait_for_url(re.compile("/onboarding/payment$"))
    screen(page, "payment")
    fill_card(page, CARD_3DS_EVERY_TIME)
    page.get_by_label(re.compile("I accept the Payment Service Terms")).check()
    shots(page, "card-form")
    with page.expect_request(re.compile("/sandbox/tokens$")) as tokenizing:
        page.get_by_role("button", name=re.compile("Verify card")).click()
    assert f'"number":"{CARD_3DS_EVERY_TIME}"' in (tokenizing.value.post_data or "")
    bank_page_answers(page, shots, "Approve")

    assert to_api
    assert not [body for body in to_api if "6000 3184" in body or "60003184" in body]

    # Back from the bank: the attempt updates live until the deposit is refunded.
    page.wait_for_url(re.compile("/onboarding/payment$"))
    attempt = page.locator("#attempt")
    expect(attempt).to_have_attribute("data-deposit", "REFUNDED", timeout=15_000)
    expect(attempt).to_have_attribute("data-status", "SUCCEEDED")
    expect(attempt.get_by_role("status").first).to_contain_text("3184")
    expect(page.get_by_text("card ending in 3184 is bound")).to_be_visible()
    shots(page, "card-bound")

    # /cards: the bound card (default) and its Historical Cards row with its Result.
    page.get_by_role("link", name="Cards", exact=True).click()
    screen(page, "cards")
    expect(page.locator("li[data-card]")).to_contain_text("Default")
    row = page.locator("tr[data-attempt]")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("Succeeded")
    expect(row.locator(".result")).not_to_be_empty()
    shots(page, "cards")

    # An expense while flagged for arrears is billed at once; its automatic charge fails.
    server.cli("billing", "flag-arrears", "--email", email, "--reason", "browser test")
    server.cli("billing", "record-usage", "--email", email, "--amount", "12.50",
               "--description", "Elastic Cloud Server, 100 hours")  # fmt: skip
    page.get_by_role("link", name="Bills", exact=True).click()
    screen(page, "bills")
    expect(page.locator("#outstanding")).to_have_text("14.88 EUR")  # 12.50 + 19 % tax
    shots(page, "bills")
    page.locator("tbody a").first.click()
    screen(page, "bill")
    expect(page.locator("#bill-status")).to_have_text("Unpaid")
    expect(page.get_by_role("cell", name="Elastic Cloud Server, 100 hours")).to_be_visible()
    expect(page.get_by_role("table", name="Payments")).to_contain_text("Failed")
    shots(page, "bill-unpaid")

    # Paying it: the bank page, then billPaymentUpdates until it succeeds.
    page.get_by_role("button", name="Pay now").click()
    bank_page_answers(page, shots, "Approve")
    page.wait_for_url(re.compile(r"/bills/[^/]+$"))
    expect(page.locator("#payment")).to_have_attribute("data-status", "SUCCEEDED")
    expect(page.get_by_text("the bill is paid")).to_be_visible()
    page.get_by_role("button", name="Show the bill again").click()
    expect(page.locator("#bill-status")).to_have_text("Paid")
    shots(page, "bill-paid")

    bill_url = page.url

    # A second card; made the default, the first can be removed, the default cannot.
    page.goto(f"{server.url}/onboarding/payment")
    screen(page, "payment")
    fill_card(page, "4242 4242 4242 4242")
    page.get_by_label(re.compile("I accept the Payment Service Terms")).check()
    page.get_by_role("button", name=re.compile("Verify card")).click()
    bank_page_answers(page, shots, "Approve")
    expect(page.locator("#attempt")).to_have_attribute("data-status", "SUCCEEDED")
    page.get_by_role("link", name="Your cards").click()
    screen(page, "cards")
    expect(page.locator("li[data-card]")).to_have_count(2)
    expect(page.locator("tr[data-attempt]")).to_have_count(2)
    page.get_by_role("button", name="Make default: Visa ending in 4242").click()
    screen(page, "cards")
    expect(page.locator("li[data-card]").filter(has_text="4242")).to_contain_text("Default")
    page.get_by_role("button", name="Remove: Visa ending in 4242").click()
    refused = page.locator("li[data-card]").filter(has_text="4242").get_by_role("alert")
    expect(refused).to_contain_text("default")
    page.get_by_role("button", name="Remove: Visa ending in 3184").click()
    screen(page, "cards")
    expect(page.locator("li[data-card]")).to_have_count(1)
    expect(page.locator("li[data-card]")).to_contain_text("4242")
    shots(page, "cards-managed")

    # Signed out, the bill's address asks to sign in, by keyboard alone, and leads back.
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    screen(page, "signin")
    page.goto(bill_url)
    screen(page, "signin")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    screen(page, "bill")
    expect(page).to_have_url(bill_url)
    expect(page.locator("#bill-status")).to_have_text("Paid")

    # Everything is done: the overview, all six steps done.
    page.get_by_role("link", name="Progress").click()
    screen(page, "home")
    expect(page.get_by_text("Your account is complete")).to_be_visible()
    expect(page.get_by_role("navigation", name=re.compile("Sign-up progress"))).to_have_attribute(
        "aria-label", re.compile("6 of 6 steps done")
    )
    shots(page, "overview")
