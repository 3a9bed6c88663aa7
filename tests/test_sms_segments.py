"""SMS outside GSM-7 go as UCS-2 and are measured as such; the SMS caps count segments."""

from __future__ import annotations

import pytest

from models.codes import CodePurpose
from models.outbox import Channel, OutboxMessage
from services import messages
from services.i18n.locales import SUPPORTED
from services.sms import SmsEncoding, measure
from tests.conftest import GraphQLClient, http_client, outbox
from tests.flows import SEND_PHONE_CODE, bearer, codes_of, sign_up
from tests.test_sms import SmsProvider

SET_LOCALE = """mutation($input: SetLocaleInput!) { setLocale(input: $input) {
  errors { code } } }"""


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", SmsEncoding.GSM7, 0, 1),
        ("a" * 160, SmsEncoding.GSM7, 160, 1),
        ("a" * 161, SmsEncoding.GSM7, 161, 2),  # 153 septets a part
        ("a" * 306, SmsEncoding.GSM7, 306, 2),
        ("a" * 307, SmsEncoding.GSM7, 307, 3),
        ("Grüße, Jörg: Straße ÄÖÜ ñ é è Ç", SmsEncoding.GSM7, 31, 1),  # all in GSM 03.38
        ("€" * 80, SmsEncoding.GSM7, 160, 1),  # the extension table takes two septets
        ("€" * 81, SmsEncoding.GSM7, 162, 2),
        ("a" + "€" * 76, SmsEncoding.GSM7, 153, 1),
        # 152 septets, then an escape pair that may not straddle: three parts, not two.
        ("a" * 152 + "[" + "a" * 152, SmsEncoding.GSM7, 306, 3),
        ("ş" * 70, SmsEncoding.UCS2, 70, 1),  # one Turkish letter outside GSM-7
        ("ş" * 71, SmsEncoding.UCS2, 71, 2),  # 67 units a part
        ("a" * 100 + "ç", SmsEncoding.UCS2, 101, 2),
        ("😀" * 35, SmsEncoding.UCS2, 70, 1),  # a surrogate pair is two units
        ("😀" * 36, SmsEncoding.UCS2, 72, 2),
        # 66 units, then a pair that may not straddle two parts of 67: three parts, not two.
        ("a" * 66 + "😀" + "a" * 66, SmsEncoding.UCS2, 134, 3),
        ("رمز التحقق", SmsEncoding.UCS2, 10, 1),
    ],
)
def test_encoding_and_segments(text: str, encoding: SmsEncoding, units: int, segments: int) -> None:
    size = measure(text)
    assert (size.encoding, size.units, size.segments) == (encoding, units, segments)


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_sms_fits_one_segment_in_every_language(locale: str) -> None:
    """They cost one message each wherever they go (the code is six digits long)."""
    for message in (
        messages.phone_code("123456", CodePurpose.SECURITY_PHONE),
        messages.phone_code("123456", CodePurpose.MOBILE_NUMBER),
        messages.password_reset_sms("123456"),
    ):
        assert measure(message.body.render(locale)).segments == 1, (locale, message.kind)


async def _send(gql: GraphQLClient, number: str) -> dict:
    variables = {"input": {"purpose": "SECURITY_PHONE", "regionCode": "DE", "phoneNumber": number}}
    return (await gql(SEND_PHONE_CODE, variables))["data"]["sendPhoneCode"]


async def test_the_sms_cap_counts_segments(app_factory) -> None:
    """Three segments a day: three one-segment English SMS pass; a two-segment one (the
    pseudo-locale's, UCS-2 and lengthened) leaves room for no second."""
    numbers = ["01512 3456781", "01512 3456782", "01512 3456783"]
    async with app_factory(
        pseudo_locale=True, limit_sms_per_account="3/day", limit_codes_per_destination="9/minute"
    ) as app:
        english = GraphQLClient(http_client(app))
        english.headers = bearer(await sign_up(english, app, "ann@example.com"))
        sent_in_english = [await _send(english, number) for number in numbers]

        pseudo = GraphQLClient(http_client(app, client_ip="192.0.2.7"))
        pseudo.headers = bearer(await sign_up(pseudo, app, "ben@example.com"))
        await pseudo(SET_LOCALE, {"input": {"locale": "en-XA"}})
        first = await _send(pseudo, numbers[0])
        second = await _send(pseudo, numbers[1])
        texts = [m for m in await outbox(app) if m["channel"] == "SMS"]

    assert [codes_of(sent) for sent in sent_in_english] == [[], [], []]
    assert codes_of(first) == []
    assert codes_of(second) == ["RATE_LIMITED"]
    assert second["errors"][0]["retryAfter"]
    assert [(m["encoding"], m["segments"]) for m in texts] == [("UCS-2", 2)] + [("GSM-7", 1)] * 3


async def test_the_provider_is_told_the_encoding(app_factory) -> None:
    with SmsProvider() as provider:
        async with app_factory(jobs=False, sms_webhook_url=provider.url) as app:
            gql = GraphQLClient(http_client(app))
            gql.headers = bearer(await sign_up(gql, app, "chen.li@example.com"))
            await gql(SET_LOCALE, {"input": {"locale": "zh-Hans"}})
            assert codes_of(await _send(gql, "01512 3456789")) == []
            await app.state.services.outbox.deliver_due()
            row = await OutboxMessage.get(channel=Channel.SMS)
    [sms] = provider.received
    assert sms["text"] == row.body
    assert sms["text"].startswith("Onramp Cloud 设置安全手机的验证码：\n")
    assert (sms["encoding"], sms["segments"]) == ("UCS-2", 1)
