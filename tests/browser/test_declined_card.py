"""A declined card on a phone-sized screen: its Result, then a service ticket about it.

The account is made through the API; the browser comes back to it through the emailed
link, a forgotten password reset by the security phone, and a sign-in that resumes at the
next step.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Server, Shots, Watch
from tests.browser.steps import account_via_api, bank_page_answers, fill_card, screen, sign_in

NEW_PASSWORD = "another-horse-7"


def test_declined_card_shows_its_result_and_opens_a_ticket(
    page: Page, server: Server, shots: Shots, watch: Watch
) -> None:
    watch.allow(400, "/sandbox/tokens$")  # the wrong card number, refused by the tokenizer
    page.set_viewport_size({"width": 390, "height": 844})
    email = "jonas@example.com"
    account_via_api(server, email, security_phone="01512 3456781=+4915123456781")

    # The emailed "complete your account" link, opened signed out, asks to sign in first.
    [mail] = [
        m
        for m in server.outbox()
        if m["kind"] == "complete-account-information" and m["recipient"] == email
    ]
    link = re.search(r"^(http\S+)$", mail["body"], flags=re.MULTILINE)
    assert link is not None
    assert link[1] == f"{server.url}/onboarding/mobile"
    page.goto(link[1])
    screen(page, "signin")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fonboarding%2Fmobile$"))
    expect(page.get_by_text("Sign in to carry on.")).to_be_visible()
    shots(page, "sign-in")

    # Forgotten password: a code to the security phone, a new password.
    page.get_by_role("link", name="Forgot your password?").click()
    screen(page, "reset")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("My security phone (by SMS)").check()
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("Code", exact=True)).to_be_visible()
    page.get_by_label("Code", exact=True).fill(server.code_for("+4915123456781"))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    shots(page, "reset-password")
    page.get_by_role("button", name="Change password").click()
    screen(page, "signin")
    expect(page.get_by_text("Your password is changed")).to_be_visible()

    # Signing in resumes at the next step: the mobile number.
    sign_in(page, email, NEW_PASSWORD)
    page.wait_for_url(re.compile("/onboarding/mobile$"))
    screen(page, "phone")
    shots(page, "resumed-at-mobile")

    # The card form, by the progress bar: a wrong number is shown by its field.
    page.get_by_role("link", name="Payment method").click()
    screen(page, "payment")
    fill_card(page, "4242 4242 4242 4241", holder="Jonas Beispiel")
    page.get_by_role("button", name=re.compile("Verify card")).click()
    number = page.get_by_label("Card number")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field=number] ~ .field-error")).to_have_text(
        "The card number is not correct."
    )
    shots(page, "card-number-refused")

    # The declining card, without the terms: refused by the checkbox; then with them.
    number.fill("4000 0000 0000 0002")
    page.get_by_role("button", name=re.compile("Verify card")).click()
    terms = page.get_by_label(re.compile("I accept the Payment Service Terms"))
    expect(terms).to_have_attribute("aria-invalid", "true")
    expect(number).not_to_have_attribute("aria-invalid", "true")
    terms.check()
    page.get_by_role("button", name=re.compile("Verify card")).click()
    bank_page_answers(page, shots, "Approve")

    page.wait_for_url(re.compile("/onboarding/payment$"))
    expect(page.locator("#attempt")).to_have_attribute("data-status", "FAILED", timeout=15_000)
    failure = page.get_by_role("alert").filter(has_text="could not be verified")
    expect(failure).to_contain_text("declined")
    result = failure.inner_text().split("could not be verified. ", 1)[1]
    shots(page, "card-declined")

    # A service ticket about this attempt.
    form = page.get_by_role("form", name="Open a service ticket")
    expect(form.get_by_label("Subject")).to_have_value(re.compile("Card verification failed"))
    form.get_by_label("What happened").fill("My card works everywhere else. Please check.")
    form.get_by_role("button", name="Open service ticket").click()
    screen(page, "ticket")
    expect(page.get_by_role("heading", name=re.compile(r"^Ticket ST-\d{4}-\d{6}$"))).to_be_visible()
    expect(page.get_by_text(result)).to_be_visible()
    shots(page, "ticket")

    page.get_by_role("link", name="All your tickets").click()
    screen(page, "tickets")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("Open")

    # Historical Cards keeps the attempt with the same Result, and offers a ticket.
    page.get_by_role("link", name="Cards", exact=True).click()
    screen(page, "cards")
    row = page.locator("tr[data-attempt]")
    expect(row.locator(".badge")).to_have_text("Failed")
    expect(row.locator(".result")).to_have_text(result)
    expect(row.get_by_role("link", name="Open a service ticket")).to_be_visible()
    expect(page.get_by_text("No card is bound yet.")).to_be_visible()
    shots(page, "historical-cards")
