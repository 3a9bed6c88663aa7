"""The reference frontend in the reader's language: a browser that asks for Arabic gets the
page right to left, with Onramp's own texts in Arabic too; the language menu switches to
German, and an account registered then keeps German: its email, its pages, after a reload
in a browser that still asks for Arabic."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Server, Shots, Watch, watch_context
from tests.browser.steps import screen


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
