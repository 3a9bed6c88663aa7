"""The staff console at /staff, in a real browser, with the customer on the other side.

Staff members are enrolled with `onramp staff create` (the tests compute their TOTP codes
from the printed otpauth address); customers sign up and bind cards through the API, as
another frontend would, and read and answer their tickets in the reference frontend.
"""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import closing
from datetime import date
from typing import Any
from urllib.parse import quote

import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Server, Shots
from tests.browser.staff_steps import (
    STAFF_PASSWORD,
    Member,
    enrol,
    fits_the_screen,
    set_password_via_api,
    sign_in,
)
from tests.browser.steps import (
    account_via_api,
    card_via_api,
    screen,
    ticket_via_api,
    wait_for,
)
from tests.browser.steps import sign_in as customer_sign_in

REFUSED = "The email address, password or code is not right."


def queue_rows(page: Page) -> list[tuple[str, str]]:
    rows = page.locator("#queue tbody tr")
    return [
        (row.get_attribute("data-ticket") or "", row.get_attribute("data-created") or "")
        for row in rows.all()
    ]


def test_support_answers_a_ticket_and_the_customer_answers_back(
    page: Page, other_page, server: Server, shots: Shots
) -> None:
    # The customer's card is declined; they open a ticket about it. Another customer's twenty
    # tickets came first, so the queue (oldest first, twenty a page) has it on a later page.
    email = "mira@example.com"
    token = account_via_api(server, email)
    declined = card_via_api(server, token, "4000 0000 0000 0002", holder="Mira Beispiel")
    assert declined["status"] == "FAILED"
    earlier = account_via_api(server, "olaf@example.com", enable=False, details=False)
    for n in range(20):
        ticket_via_api(server, earlier, f"Question {n + 1}", "When is my bill issued?")
    ticket = ticket_via_api(
        server,
        token,
        "Card verification failed",
        "My card works everywhere else. Please check.",
        declined["id"],
    )

    # A support member, enrolled on the command line: the console asks to sign in, and the
    # first time to set a password with the setup code and a code from the app.
    sam = enrol(server, "sam.support@onramp.example", "support")
    page.goto(f"{server.url}/staff")
    screen(page, "signin")
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next=%2Fstaff$"))
    expect(page.get_by_text("Sign in to carry on.")).to_be_visible()
    page.get_by_role("link", name="Set your password with your setup code").click()
    screen(page, "password")
    page.get_by_label("Email address").fill(sam.email)
    page.get_by_label("Setup code").fill("AAAAA-BBBBB-CCCCC-DDDDD")
    page.get_by_label("New password").fill(STAFF_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Set password").click()
    setup = page.get_by_label("Setup code")
    expect(setup).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field=setupCode] ~ .field-error")).to_have_text(
        "This setup code is not right."
    )
    setup.fill(sam.setup_code or "")
    page.get_by_label("Code from your authenticator app").fill(sam.code())
    shots(page, "staff-set-password")
    page.get_by_role("button", name="Set password").click()
    screen(page, "signin")
    expect(page.get_by_text("Your password is set.")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value(sam.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(sam.code())
    shots(page, "staff-sign-in")
    page.get_by_label("Code from your authenticator app").press("Enter")
    screen(page, "queue")

    # The queue: open and in-progress tickets, oldest first, a page at a time.
    first_page = queue_rows(page)
    assert len(first_page) == 20
    assert [created for _, created in first_page] == sorted(c for _, c in first_page)
    shots(page, "staff-queue")
    seen = {number for number, _ in first_page}
    while ticket["number"] not in seen:
        page.get_by_role("link", name="Next page").click()
        screen(page, "queue")
        expect(page.get_by_role("link", name="Previous page")).to_be_visible()
        rows = queue_rows(page)
        assert rows
        assert not seen & {number for number, _ in rows}
        seen |= {number for number, _ in rows}
    row = page.locator(f"#queue tr[data-ticket='{ticket['number']}']")
    expect(row).to_contain_text(email)
    expect(row).to_contain_text("nobody")
    row.get_by_role("link", name=ticket["number"]).click()

    # The ticket: the declined attempt's Result, the description; assign, then reply.
    screen(page, "ticket")
    expect(page.get_by_role("heading", name=f"Ticket {ticket['number']}")).to_be_visible()
    expect(page.get_by_text(declined["result"])).to_be_visible()
    expect(page.locator(".conversation li")).to_have_count(1)
    page.get_by_role("button", name="Assign to me").click()
    screen(page, "ticket")
    expect(page.get_by_text(f"Ticket {ticket['number']} is yours.")).to_be_visible()
    expect(page.locator("#ticket-assignee")).to_have_text(sam.email)
    expect(page.locator("#ticket-status")).to_have_text("In progress")
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    page.get_by_role("button", name="Send reply").click()  # empty: refused by its field
    reply_box = page.get_by_label("Your reply to the customer")
    expect(reply_box).to_have_attribute("aria-invalid", "true")
    reply_box.fill("We retried with your bank: please try the card once more.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent")).to_be_visible()
    support_said = page.locator(".conversation li.from-support")
    expect(support_said).to_contain_text(f"Support ({sam.email})")
    expect(support_said).to_contain_text("please try the card once more")
    shots(page, "staff-ticket-replied")

    # The customer follows the emailed link, signs in, reads the reply and answers it.
    [mail] = [
        m
        for m in server.outbox()
        if m["recipient"] == email and ticket["number"] in m["body"] and "/tickets/" in m["body"]
    ]
    link = re.search(r"(http\S+/tickets/\S+)", mail["body"])
    assert link is not None
    assert link[1] == f"{server.url}/tickets/{ticket['id']}"
    customer = other_page(390, 844)
    customer.goto(link[1])
    customer_sign_in(customer, email, PASSWORD)
    screen(customer, "ticket")
    said = customer.locator(".conversation li")
    expect(said).to_have_count(2)
    expect(said.nth(1)).to_contain_text("Support")
    expect(said.nth(1)).to_contain_text("please try the card once more")
    expect(said.nth(1)).not_to_contain_text(sam.email)  # staff names are not shown
    customer.get_by_label("Your answer to support").fill("Thank you, it worked this time.")
    customer.get_by_role("button", name="Send answer").click()
    expect(customer.get_by_text("Your answer is sent to support.")).to_be_visible()
    expect(said).to_have_count(3)
    expect(said.nth(2)).to_contain_text("You")
    fits_the_screen(customer)
    shots(customer, "customer-ticket-answered")
    customer.get_by_role("link", name="All your tickets").click()
    screen(customer, "tickets")
    listed = customer.locator(f"tr[data-ticket='{ticket['number']}']")
    expect(listed.locator("td[data-label=Status]")).to_have_text("In progress")
    expect(listed.locator("td[data-label=Updated]")).not_to_have_text("—")
    shots(customer, "customer-tickets")
    customer.go_back()
    screen(customer, "ticket")

    # Support sees the answer. A second tab of the same member, opened now, goes stale
    # when the first resolves the ticket: its move is refused with WRONG_STATUS by its field.
    page.reload()
    screen(page, "ticket")
    expect(page.locator(".conversation li.from-customer").nth(1)).to_contain_text(
        "it worked this time"
    )
    stale = page.context.new_page()
    stale.goto(page.url)
    screen(stale, "ticket")
    page.get_by_label("Move to").select_option("RESOLVED")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text(f"Ticket {ticket['number']} is resolved.")).to_be_visible()
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    shots(page, "staff-ticket-resolved")
    stale.get_by_label("Move to").select_option("RESOLVED")
    stale.get_by_role("button", name="Move").click()
    expect(stale.get_by_label("Move to")).to_have_attribute("aria-invalid", "true")
    expect(stale.locator("[data-field=status] ~ .field-error")).to_contain_text(
        "moves only forward"
    )
    shots(stale, "staff-wrong-status")
    stale.close()

    # Closed by support while the customer's page is open: the customer's answer is refused
    # with TICKET_CLOSED, and the ticket then shows no box to answer in.
    page.get_by_label("Move to").select_option("CLOSED")
    page.get_by_role("button", name="Move").click()
    expect(page.locator("#ticket-status")).to_have_text("Closed")
    expect(page.get_by_label("Your reply to the customer")).to_have_count(0)
    customer.get_by_label("Your answer to support").fill("One more thing.")
    customer.get_by_role("button", name="Send answer").click()
    expect(customer.get_by_role("alert")).to_contain_text("This ticket is closed")
    shots(customer, "customer-ticket-closed-refused")
    customer.reload()
    screen(customer, "ticket")
    expect(customer.locator("#ticket-status")).to_have_text("Closed")
    expect(customer.get_by_label("Your answer to support")).to_have_count(0)

    # The queue by status: the closed ticket is listed among the closed ones.
    page.get_by_role("link", name="Tickets", exact=True).click()
    screen(page, "queue")
    page.get_by_label("Open", exact=True).uncheck()
    page.get_by_label("In progress").uncheck()
    page.get_by_role("button", name="Show").click()  # no status chosen: refused by its group
    expect(page.get_by_text("Choose at least one status.")).to_be_visible()
    page.get_by_label("Closed").check()
    page.get_by_role("button", name="Show").click()
    screen(page, "queue")
    expect(page).to_have_url(re.compile(r"/staff\?status=CLOSED$"))
    expect(page.locator(f"#queue tr[data-ticket='{ticket['number']}']")).to_contain_text("Closed")
    shots(page, "staff-queue-closed")

    # The customer's account, found by the ticket's number, lists the ticket.
    page.get_by_role("link", name="Accounts").click()
    screen(page, "accounts")
    page.get_by_label("Ticket", exact=True).check()
    page.get_by_label("Ticket number").fill(ticket["number"].lower())
    page.get_by_role("button", name="Find").click()
    screen(page, "accounts")
    page.get_by_role("link", name=email).click()
    screen(page, "account")
    expect(page.locator("#tickets ~ table")).to_contain_text(ticket["number"])
    expect(page.locator("#attempts ~ table")).to_contain_text(declined["result"])


def hold_the_refund(server: Server, last4: str) -> None:
    """A deposit refund that stays pending at the bank: once the sandbox's first try has
    failed (card ...5126), its next try is moved a year out in the gateway's own table, as
    with a gateway whose refund never settles by itself."""
    database = server.workdir / "onramp.sqlite3"

    def held() -> bool:
        with closing(sqlite3.connect(database, timeout=10)) as db:
            row = db.execute(
                """SELECT c.id, c.refund_next_attempt_at FROM sandbox_charges c
                   JOIN sandbox_payment_methods m ON m.id = c.payment_method_id
                   WHERE m.last4 = ? AND c.refund_status = 'pending' AND c.refund_attempts = 1""",
                (last4,),
            ).fetchone()
            if row is None:
                return False
            charge, due = row
            later = f"{int(due[:4]) + 1}{due[4:]}"  # the same format, a year later
            moved = db.execute(
                """UPDATE sandbox_charges SET refund_next_attempt_at = ?
                   WHERE id = ? AND refund_status = 'pending' AND refund_attempts = 1""",
                (later, charge),
            ).rowcount
            db.commit()
            return bool(moved)

    wait_for(held, "the deposit's first refund failing")


def audit_row(page: Page, action: str) -> Any:
    return page.locator(f"#audit-trail tr[data-action='{action}']")


def test_billing_flags_arrears_charges_a_bill_and_refunds_a_stuck_deposit(
    page: Page, other_page, server: Server, shots: Shots
) -> None:
    email = "nora@example.com"
    token = account_via_api(server, email)
    first = card_via_api(server, token, "4000 0000 0000 0341", holder="Nora Beispiel")
    assert first["status"] == "SUCCEEDED"  # its later off-session charges fail

    bea = enrol(server, "bea.billing@onramp.example", "billing")
    set_password_via_api(server, bea)
    sign_in(page, server, bea)
    expect(page.get_by_role("link", name="Staff members")).to_have_count(0)

    # Finding the account by email, and opening it.
    page.get_by_role("link", name="Accounts").click()
    screen(page, "accounts")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Find").click()
    screen(page, "accounts")
    expect(page).to_have_url(re.compile(r"/staff/accounts\?email=nora%40example\.com$"))
    expect(page.get_by_role("heading", name="1 account")).to_be_visible()
    shots(page, "staff-account-search")
    page.get_by_role("link", name=email).click()
    screen(page, "account")
    expect(page.get_by_role("heading", name=email, level=1)).to_be_visible()
    expect(page.locator("#arrears-state")).to_contain_text("Not flagged")
    expect(audit_row(page, "account.open")).to_have_count(1)

    # Arrears flagged with a reason (none given: refused by the reason's field).
    arrears = page.get_by_role("form", name="Flag arrears risk")
    arrears.get_by_role("button", name="Flag arrears risk").click()
    expect(arrears.get_by_label(re.compile("^Reason"))).to_have_attribute("aria-invalid", "true")
    arrears.get_by_label(re.compile("^Reason")).fill("Chargeback reported by the bank")
    arrears.get_by_role("button", name="Flag arrears risk").click()
    expect(page.get_by_text("Arrears risk flagged.")).to_be_visible()
    expect(page.locator("#arrears-state")).to_contain_text(
        "Flagged Reason: Chargeback reported by the bank. Set by staff"
    )
    flagged = audit_row(page, "arrears.flag")
    expect(flagged).to_have_count(1)
    expect(flagged.locator("td[data-label=Who]")).to_have_text(bea.email)
    expect(flagged.locator("td[data-label=Reason]")).to_have_text("Chargeback reported by the bank")
    expect(flagged.locator("td[data-label=After]")).to_contain_text("arrearsRisk: true")
    shots(page, "staff-arrears-flagged")

    # While flagged, usage is billed at once; the charge to the ...0341 card fails. The
    # customer adds a ...5126 card (its deposit's refund stays pending) and makes it default.
    server.cli("billing", "record-usage", "--email", email, "--amount", "12.50",
               "--description", "ECS, 100 h")  # fmt: skip
    second = card_via_api(server, token, "4000 0000 0000 5126", holder="Nora Beispiel")
    assert second["status"] == "SUCCEEDED"
    hold_the_refund(server, "5126")
    made_default = server.graphql(
        """mutation($input: CardInput!) { setDefaultCard(input: $input) {
          errors { code } } }""",
        {"input": {"cardId": second["card"]["id"]}},
        token,
    )
    assert made_default["setDefaultCard"]["errors"] == []

    page.reload()
    screen(page, "account")
    bill = page.locator("#bills ~ table tbody tr").first
    expect(bill.locator("td[data-label=Status]")).to_contain_text("Unpaid")
    expect(bill.locator("td[data-label=Payments]")).to_contain_text("Failed")
    number = bill.get_attribute("data-bill")
    assert number is not None
    stuck = page.locator("tr[data-deposit-status=REFUND_PENDING]")
    expect(stuck).to_have_count(1)
    expect(stuck).to_contain_text("…5126")
    shots(page, "staff-account-unpaid-and-stuck")

    # Charging the unpaid bill now: to the new default card, which pays.
    page.get_by_role("button", name=f"Charge now: bill {number}").click()
    expect(page.get_by_text(f"Bill {number}: Succeeded.")).to_be_visible()
    expect(bill.locator("td[data-label=Status]")).to_contain_text("Paid")
    expect(audit_row(page, "bill.charge")).to_have_count(1)

    # The bill's number finds the same account.
    page.goto(f"{server.url}/staff/accounts?billNumber={number}")
    screen(page, "accounts")
    expect(page.get_by_label("Bill", exact=True)).to_be_checked()
    page.get_by_role("link", name=email).click()
    screen(page, "account")

    # Asking the gateway again for the stuck refund: it settles (the page is reloaded to see).
    stuck.get_by_role("button", name=re.compile("^Refund deposit now")).click()
    expect(page.get_by_text("The gateway is asked again for the refund")).to_be_visible()
    expect(stuck.locator("td[data-label=Deposit]")).to_contain_text("asked again")
    refund_row = audit_row(page, "deposit.refund")
    expect(refund_row).to_have_count(1)
    expect(refund_row.locator("td[data-label=Who]")).to_have_text(bea.email)

    def refunded() -> bool:
        page.reload()
        screen(page, "account")
        return page.locator("tr[data-deposit-status=REFUND_PENDING]").count() == 0

    wait_for(refunded, "the deposit's refund")
    expect(page.locator("#attempts ~ table tbody tr").first).to_contain_text("Refunded")
    shots(page, "staff-refunded")

    # Clearing the flag, with a reason; both rows are in the trail, newest first.
    cleared = page.get_by_role("form", name="Clear arrears risk")
    cleared.get_by_label(re.compile("^Reason")).fill("Paid in full")
    cleared.get_by_role("button", name="Clear arrears risk").click()
    expect(page.get_by_text("Arrears risk cleared.")).to_be_visible()
    expect(page.locator("#arrears-state")).to_contain_text("Not flagged")
    expect(audit_row(page, "arrears.clear").locator("td[data-label=Reason]")).to_have_text(
        "Paid in full"
    )
    actions = page.locator("#audit-trail tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.action)"
    )
    assert actions.index("arrears.clear") < actions.index("arrears.flag")
    shots(page, "staff-arrears-cleared")

    # A support member finds the same account by its card and sees no billing action.
    sue = enrol(server, "sue.support@onramp.example", "support")
    set_password_via_api(server, sue)
    support = other_page(390, 844)
    sign_in(support, server, sue)
    support.get_by_role("link", name="Accounts").click()
    screen(support, "accounts")
    support.get_by_label("Card", exact=True).check()
    support.get_by_label("Last four digits").fill("5126")
    support.get_by_label("Expiry month").fill("13")
    support.get_by_label("Expiry year").fill(str(date.today().year + 3))
    support.get_by_role("button", name="Find").click()
    expect(support.get_by_label("Expiry month")).to_have_attribute("aria-invalid", "true")
    support.get_by_label("Expiry month").fill("12")
    support.get_by_role("button", name="Find").click()
    screen(support, "accounts")
    support.get_by_role("link", name=email).click()
    screen(support, "account")
    expect(support.locator("#arrears-state")).to_be_visible()
    expect(support.locator("#bills ~ table tbody tr")).to_have_count(1)
    for billing_only in ("Flag arrears risk", "Clear arrears risk", "Charge now", "Refund deposit"):
        expect(support.get_by_role("button", name=re.compile(f"^{billing_only}"))).to_have_count(0)
    expect(support.get_by_role("link", name="Staff members")).to_have_count(0)
    fits_the_screen(support)
    shots(support, "support-account-phone")
    support.goto(f"{server.url}/staff/members")
    screen(support, "members")
    expect(support.get_by_text("Only admins manage staff members.")).to_be_visible()


def read_qr(page: Page) -> list[str]:
    """What a phone's camera reads from the QR code on the screen."""
    png = page.locator("svg.qr").screenshot()
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_an_admin_enrols_a_member_resets_their_second_factor_and_disables_them(
    page: Page, other_page, server: Server, shots: Shots
) -> None:
    customer = account_via_api(server, "pia@example.com", enable=False, details=False)
    ticket = ticket_via_api(server, customer, "Invoice address", "Where do I change it?")
    ada = enrol(server, "ada.admin@onramp.example", "admin")
    set_password_via_api(server, ada)
    sign_in(page, server, ada)
    page.get_by_role("link", name="Staff members").click()
    screen(page, "members")
    me = page.locator(f"#members tr[data-member='{ada.email}']")
    expect(me).to_contain_text("you")
    expect(me.get_by_role("button")).to_have_count(0)  # nobody disables or resets themself

    # Enrolling a member: the setup code and the second factor, as text and as a QR code.
    adding = page.get_by_role("form", name="Add a staff member")
    adding.get_by_label("Email address").fill("not an address")
    adding.get_by_role("button", name="Add member").click()
    expect(adding.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    kim_email = "kim.support@onramp.example"
    adding.get_by_label("Email address").fill(kim_email)
    adding.get_by_label("Role").select_option("SUPPORT")
    adding.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("heading", name=f"{kim_email} is enrolled")).to_be_focused()
    setup_code = page.locator("#setup-code").inner_text()
    otpauth = page.locator("#otpauth-url").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{5}-){3}[A-Z2-7]{5}", setup_code), setup_code
    assert otpauth.startswith("otpauth://totp/Onramp%20staff:kim.support%40onramp.example?")
    assert read_qr(page) == [otpauth]
    added = page.locator(f"#members tr[data-member='{kim_email}']")
    expect(added.locator("td[data-label=Role]")).to_have_text("Support")
    expect(added.locator("td[data-label=Password]")).to_have_text("not yet")
    shots(page, "staff-member-enrolled")
    page.get_by_role("button", name="Done: hide these").click()
    expect(page.locator("#enrolment")).to_be_hidden()
    expect(page.locator("#otpauth-url")).to_have_count(0)

    # The new member, on a phone: sets a password with what the admin handed over, signs in
    # and opens a ticket.
    kim = Member(kim_email, otpauth, setup_code)
    phone = other_page(390, 844)
    phone.goto(f"{server.url}/staff/set-password")
    screen(phone, "password")
    phone.get_by_label("Email address").fill(kim.email)
    phone.get_by_label("Setup code").fill(setup_code.lower())  # read out, typed loosely
    phone.get_by_label("New password").fill(STAFF_PASSWORD)
    phone.get_by_label("Code from your authenticator app").fill(kim.code())
    phone.get_by_role("button", name="Set password").click()
    screen(phone, "signin")
    phone.get_by_label("Password").fill(STAFF_PASSWORD)
    phone.get_by_label("Code from your authenticator app").fill(kim.code())
    phone.get_by_role("button", name="Sign in").click()
    screen(phone, "queue")
    fits_the_screen(phone)
    shots(phone, "staff-queue-phone")
    phone.goto(f"{server.url}/staff/tickets/{ticket['id']}")
    screen(phone, "ticket")
    fits_the_screen(phone)

    # Kim lost her phone: a new second factor, shown once, with no setup code this time.
    page.get_by_role("button", name=f"Reset second factor: {kim.email}").click()
    page.get_by_role("button", name="Yes: reset second factor").click()
    expect(page.get_by_role("heading", name=f"A new second factor for {kim.email}")).to_be_visible()
    expect(page.locator("#setup-code")).to_have_count(0)
    renewed = page.locator("#otpauth-url").inner_text()
    assert renewed != otpauth
    assert read_qr(page) == [renewed]
    expect(
        page.locator(f"#members tr[data-member='{kim_email}'] td[data-label=Password]")
    ).to_have_text("set")
    shots(page, "staff-second-factor-reset")
    old = kim.totp
    kim.new_factor(renewed)

    # Her sessions ended with it: the reply she sends takes her back to sign-in, where the
    # old factor no longer works and the new one brings her back to the ticket.
    phone.get_by_label("Your reply to the customer").fill("Under Account, then Details.")
    phone.get_by_role("button", name="Send reply").click()
    screen(phone, "signin")
    expect(phone).to_have_url(
        f"{server.url}/staff/sign-in?next={quote('/staff/tickets/' + ticket['id'], safe='')}"
    )
    expect(phone.get_by_text("Your staff session has ended. Sign in again.")).to_be_visible()
    shots(phone, "staff-session-ended")
    phone.get_by_label("Email address").fill(kim.email)
    phone.get_by_label("Password").fill(STAFF_PASSWORD)
    phone.get_by_label("Code from your authenticator app").fill(old.now())
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("alert")).to_contain_text(REFUSED)
    phone.get_by_label("Code from your authenticator app").fill(kim.code())
    phone.get_by_role("button", name="Sign in").click()
    screen(phone, "ticket")
    phone.get_by_label("Your reply to the customer").fill("Under Account, then Details.")
    phone.get_by_role("button", name="Send reply").click()
    expect(phone.locator(".conversation li.from-support")).to_contain_text("Under Account")

    # Disabled: her access ends at once, and signing in is refused.
    page.get_by_role("button", name=f"Disable: {kim.email}").click()
    page.get_by_role("button", name="Cancel").click()  # changed her mind: nothing happened
    expect(page.get_by_role("button", name=f"Disable: {kim.email}")).to_be_focused()
    page.get_by_role("button", name=f"Disable: {kim.email}").click()
    page.get_by_role("button", name="Yes: disable").click()
    disabled = page.locator(f"#members tr[data-member='{kim_email}']")
    expect(disabled.locator("td[data-label=Access]")).to_contain_text("disabled")
    expect(disabled.get_by_role("button")).to_have_count(0)
    shots(page, "staff-member-disabled")
    phone.reload()
    screen(phone, "signin")
    phone.get_by_label("Email address").fill(kim.email)
    phone.get_by_label("Password").fill(STAFF_PASSWORD)
    phone.get_by_label("Code from your authenticator app").fill(kim.totp.now())
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("alert")).to_contain_text(REFUSED)
