"""The reference frontend in the reader's language: a browser that asks for Arabic gets the
page right to left, with Onramp's own texts in Arabic too; the language menu switches to
German, and an account registered then keeps German: its email, its pages, after a reload
in a browser that still asks for Arabic."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Server, Shots, Watch, watch_context
from tests.browser.steps import account_via_api, card_via_api, screen

SET_LOCALE = """mutation($input: SetLocaleInput!) { setLocale(input: $input) {
  errors { code } } }"""


def test_arabic_right_to_left_then_an_account_in_german(
    browser: Any, server: Server, watch: Watch, shots: Shots
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar-EG")
    context.set_default_timeout(10_000)
    watch_context(context, watch)
    page = context.new_page()
    email = "yusuf.amin@example.com"
    try:
        page.goto(f"{server.url}/register")
        screen(page, "register")
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "ar")
        expect(html).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("heading", name="أنشئ حسابك")).to_be_visible()
        region = page.get_by_label("الدولة أو المنطقة")
        expect(region.locator("option[value=DE]")).to_have_text("ألمانيا")  # Onramp's, by CLDR
        # Right to left: the heading's text ends at the left, flush with the right edge.
        left_gap, right_gap = page.get_by_role("heading", name="أنشئ حسابك").evaluate(
            """element => {
              const range = document.createRange();
              range.selectNodeContents(element);
              const text = range.getBoundingClientRect(), box = element.getBoundingClientRect();
              return [text.left - box.left, box.right - text.right];
            }"""
        )
        assert right_gap < 1 < left_gap
        shots(page, "register-in-arabic")

        page.get_by_label("اللغة").select_option("de")
        expect(html).to_have_attribute("dir", "ltr")
        expect(page.get_by_role("heading", name="Ihr Konto erstellen")).to_be_visible()
        expect(page.get_by_label("Land oder Region").locator("option[value=DE]")).to_have_text(
            "Deutschland"
        )
        page.get_by_label("Land oder Region").select_option("AT")
        page.get_by_label("E-Mail-Adresse").fill(email)
        page.get_by_role("button", name="Code senden").click()
        expect(page.get_by_label("Code aus der E-Mail")).to_be_visible()
        [sent] = [m for m in server.outbox() if m["recipient"] == email]
        assert sent["subject"] == "Ihr Bestätigungscode für Onramp Cloud"
        page.get_by_label("Code aus der E-Mail").fill(server.code_for(email))
        page.get_by_label("Passwort", exact=True).fill(PASSWORD)
        shots(page, "register-in-german")
        page.get_by_role("button", name="Konto erstellen").click()
        screen(page, "phone")
        expect(page.get_by_role("button", name=f"Abmelden ({email})")).to_be_visible()

        # The account speaks German now, whatever the browser asks for.
        page.goto(f"{server.url}/")
        screen(page, "home")
        expect(html).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", name="Ihr Konto")).to_be_visible()
        expect(page.get_by_text("Österreich")).to_be_visible()
        expect(page.get_by_label("Sprache")).to_have_value("de")
        shots(page, "home-in-german")
        watch.check()
    finally:
        context.close()


# /cards after a declined card, then /bills, in German and in Arabic: the page's own labels
# (headings, table columns, the card's line, its buttons) are the catalogue's, never English.
CARDS_IN = {
    "de": {
        "browser": "de-DE",
        "sign_in": ("E-Mail-Adresse", "Passwort", "Anmelden"),
        "heading": "Zahlungskarten",
        "texts": ["Hinterlegte Karten", "Kartenverlauf", "Noch ist keine Karte hinterlegt."],
        "columns": ["Datum", "Karte", "Karteninhaber", "Status", "Kaution", "Ergebnis"],
        "link": "Karte hinzufügen",
        "failed": "Fehlgeschlagen",
        "payment": ("Zahlungsmethode", "Name auf der Karte", "Kartennummer", "Karte prüfen"),
        "wrong_number": "Die Kartennummer ist nicht korrekt.",
        "bills": ["Offener Betrag", "Nächste Rechnung", "Sie haben noch keine Rechnungen."],
    },
    "ar": {
        "browser": "ar-EG",
        "sign_in": ("البريد الإلكتروني", "كلمة المرور", "تسجيل الدخول"),
        "heading": "بطاقات الدفع",
        "texts": ["البطاقات المرتبطة", "سجل البطاقات", "لا توجد بطاقة مرتبطة بعد."],
        "columns": ["التاريخ", "البطاقة", "حامل البطاقة", "الحالة", "مبلغ التأمين", "النتيجة"],
        "link": "إضافة بطاقة",
        "failed": "فشل",
        "payment": ("وسيلة الدفع", "الاسم على البطاقة", "رقم البطاقة", "التحقق من البطاقة"),
        "wrong_number": "رقم البطاقة غير صحيح.",
        "bills": ["المبلغ المستحق", "الفاتورة القادمة", "لا توجد لديك فواتير بعد."],
    },
}
ENGLISH = ["Payment cards", "Bound cards", "Historical Cards", "Add a card", "Holder", "Deposit"]


_FIRST_GROUP_LEFT_OF_LAST = """(selector) => {
  const text = document.querySelector(selector).firstChild;
  const range = document.createRange();
  range.setStart(text, 0); range.setEnd(text, 4);
  const first = range.getBoundingClientRect().left;
  range.setStart(text, text.length - 4); range.setEnd(text, text.length);
  return first < range.getBoundingClientRect().left;
}"""
_NO_CELL_OVERFLOWS = """(selector) => [...document.querySelectorAll(selector)].every((cell) => {
  const box = cell.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(cell);
  const text = range.getBoundingClientRect();
  return text.left >= box.left - 1 && text.right <= box.right + 1;
})"""


@pytest.mark.parametrize("code", ["de", "ar"])
def test_cards_screen_in_the_account_language(
    browser: Any, server: Server, watch: Watch, shots: Shots, code: str
) -> None:
    want = CARDS_IN[code]
    watch.allow(400, "/sandbox/tokens$")  # the wrong card number, refused by the tokenizer
    email = f"cards.{code}@example.com"
    token = account_via_api(server, email)
    changed = server.graphql(SET_LOCALE, {"input": {"locale": code}}, token)
    assert changed["setLocale"]["errors"] == []
    declined = card_via_api(server, token, "4000 0000 0000 0002")
    assert declined["status"] == "FAILED"

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=want["browser"])
    context.set_default_timeout(10_000)
    watch_context(context, watch)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/sign-in")
        screen(page, "signin")
        label_email, label_password, button = want["sign_in"]
        page.get_by_label(label_email).fill(email)
        page.get_by_label(label_password, exact=True).fill(PASSWORD)
        page.get_by_role("button", name=button).click()
        expect(page.locator("body")).not_to_have_attribute("data-screen", "signin")
        page.goto(f"{server.url}/cards")
        screen(page, "cards")
        expect(page.locator("html")).to_have_attribute("lang", code)
        main = page.locator("main")
        expect(page.get_by_role("heading", name=want["heading"])).to_be_visible()
        for text in want["texts"]:
            expect(main.get_by_text(text, exact=True)).to_be_visible()
        expect(main.get_by_role("link", name=want["link"])).to_be_visible()
        columns = main.locator("table thead th").all_inner_texts()
        assert [c.strip() for c in columns if c.strip()] == want["columns"]
        expect(main.locator("tbody .badge.FAILED")).to_have_text(want["failed"])
        body = main.inner_text()
        for english in ENGLISH:
            assert english not in body, f"{english!r} is still English on /cards in {code}"
        # Right to left or not, a card number reads left to right, and no cell's text runs
        # into its neighbour's.
        assert page.evaluate(_FIRST_GROUP_LEFT_OF_LAST, "tbody td[data-label] .nowrap")
        assert page.evaluate(_NO_CELL_OVERFLOWS, "tbody tr:first-child td")
        shots(page, f"cards-in-{code}")

        # /bills too: its facts and its empty list.
        page.goto(f"{server.url}/bills")
        screen(page, "bills")
        for text in want["bills"]:
            expect(main.get_by_text(text, exact=True)).to_be_visible()
        assert "Outstanding" not in main.inner_text()

        # The payment step's card form: its heading, labels and button.
        page.goto(f"{server.url}/onboarding/payment")
        screen(page, "payment")
        title, holder, number, verify = want["payment"]
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        expect(page.get_by_label(holder)).to_be_visible()
        expect(page.get_by_label(number)).to_be_visible()
        expect(page.get_by_role("button", name=re.compile(f"^{verify}"))).to_be_visible()
        assert "Name on the card" not in main.inner_text()
        shots(page, f"payment-in-{code}")

        # The gateway's tokenizer refuses the number: its error in the page's language too.
        page.get_by_label(holder).fill("Jonas Beispiel")
        page.get_by_label(number).fill("4242 4242 4242 4241")
        page.locator("[name=expMonth]").select_option("12")
        page.locator("[name=expYear]").select_option(str(date.today().year + 3))
        page.locator("[name=cvc]").fill("123")
        page.locator("[name=acceptServiceTerms]").check()
        page.get_by_role("button", name=re.compile(f"^{verify}")).click()
        expect(page.locator("[data-field=number] ~ .field-error")).to_have_text(
            want["wrong_number"]
        )
        watch.check()
    finally:
        context.close()
