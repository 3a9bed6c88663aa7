"""Steps 3 to 5.2 and the progress through them, through the real app."""

from __future__ import annotations

import base64
import logging

import pytest

from models.onboarding import AgreementAcceptance
from services.phones import mask
from tests.conftest import GraphQLClient, http_client, latest_code, outbox
from tests.flows import (
    ASSOCIATE_MOBILE,
    COMPLETE_DETAILS,
    DE_MOBILE,
    DE_MOBILE_E164,
    ENABLE,
    LOGIN,
    MARK_READ,
    ME,
    PASSWORD,
    PROGRESS,
    REQUEST_RESET,
    RESET,
    SEND_PHONE_CODE,
    SET_SECURITY_PHONE,
    SKIP_SECURITY_PHONE,
    bearer,
    codes_of,
    enable_cloud,
    login_payload,
    phone_code,
    sign_up,
    steps_of,
)

EMAIL = "amara.okafor@example.com"
FRONTEND = "https://app.example.test"
INDIVIDUAL = {"individual": {"fullName": "  Amara Okafor  "}}
ENTERPRISE = {
    "enterprise": {
        "companyName": "Okafor Systems GmbH",
        "registrationNumber": "HRB 12345 B",
        "taxId": "DE136695976",
        "registeredAddress": {"line1": "Invalidenstr. 1", "city": "Berlin", "postalCode": "10115"},
        "contactName": "Amara Okafor",
    }
}


@pytest.fixture
async def member(app_factory):
    """A registered, signed-in person; codes may be asked for freely."""
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        token = await sign_up(gql, app, EMAIL)
        gql.headers = bearer(token)
        yield app, gql


def _verify(number: str, code: str, region: str = "DE", **extra: str) -> dict:
    return {"input": {"regionCode": region, "phoneNumber": number, "code": code, **extra}}


async def _progress(gql: GraphQLClient) -> dict:
    return (await gql(PROGRESS))["data"]["onboarding"]


# Signed out


async def test_signed_out_calls_answer_unauthenticated_and_are_not_logged(gql, caplog) -> None:
    caplog.set_level(logging.INFO, logger="onramp.graphql")
    progress = await gql(PROGRESS)
    mutation = await gql(SKIP_SECURITY_PHONE)

    assert progress["data"] == {"onboarding": None}
    assert progress["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert mutation["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not caplog.records


# Progress


async def test_a_new_account_has_registered_and_nothing_else(member) -> None:
    _, gql = member
    progress = await _progress(gql)

    assert [(s["key"], s["status"], s["required"]) for s in progress["steps"]] == [
        ("REGISTER", "COMPLETED", True),
        ("SECURITY_PHONE", "PENDING", False),
        ("ENABLE_CLOUD", "PENDING", True),
        ("MOBILE_NUMBER", "PENDING", True),
        ("ACCOUNT_DETAILS", "PENDING", True),
        ("PAYMENT_METHOD", "PENDING", True),
    ]
    assert progress["steps"][0]["completedAt"]
    assert progress["nextStep"] == "SECURITY_PHONE"
    assert progress["continueUrl"] == f"{FRONTEND}/onboarding/security-phone"
    assert not progress["blocked"]
    assert not progress["cloudServicesEnabled"]
    assert not progress["canSubscribeToServices"]


# Step 3: security phone


async def test_a_security_phone_is_set_with_its_texted_code(member) -> None:
    app, gql = member
    code = await phone_code(gql, app, "SECURITY_PHONE")
    sms = (await outbox(app))[0]

    payload = (await gql(SET_SECURITY_PHONE, _verify(DE_MOBILE, code)))["data"]["setSecurityPhone"]

    assert sms["channel"] == "SMS"
    assert sms["recipient"] == DE_MOBILE_E164
    assert payload["errors"] == []
    assert payload["account"]["securityPhone"]["masked"] == "+49 151 ****6789"
    assert payload["account"]["securityPhone"]["regionCode"] == "DE"
    assert steps_of(await _progress(gql))["SECURITY_PHONE"] == "COMPLETED"


@pytest.mark.parametrize(
    ("region", "number", "code"),
    [
        ("DE", "12", "INVALID_PHONE"),
        ("DE", "030 123456", "INVALID_PHONE"),  # a Berlin landline: no SMS reaches it
        ("DE", "not a number", "INVALID_PHONE"),
        ("ZZ", DE_MOBILE, "UNKNOWN_REGION"),
    ],
)
async def test_numbers_that_cannot_take_a_text_are_refused(member, region, number, code) -> None:
    app, gql = member
    body = await gql(
        SEND_PHONE_CODE,
        {"input": {"purpose": "SECURITY_PHONE", "regionCode": region, "phoneNumber": number}},
    )
    assert codes_of(body["data"]["sendPhoneCode"]) == [code]
    assert all(m["channel"] == "EMAIL" for m in await outbox(app))


async def test_e164_input_is_accepted_too(member) -> None:
    app, gql = member
    code = await phone_code(gql, app, "SECURITY_PHONE", "+44 7400 123456", region="GB")
    payload = await gql(SET_SECURITY_PHONE, _verify("+447400123456", code, region="GB"))
    assert payload["data"]["setSecurityPhone"]["account"]["securityPhone"]["regionCode"] == "GB"


async def test_a_code_is_bound_to_its_purpose_and_its_number(member) -> None:
    app, gql = member
    await enable_cloud(gql)
    security_code = await phone_code(gql, app, "SECURITY_PHONE")

    as_mobile = await gql(ASSOCIATE_MOBILE, _verify(DE_MOBILE, security_code))
    other_number = await gql(SET_SECURITY_PHONE, _verify("01512 3456780", security_code))

    assert codes_of(as_mobile["data"]["associateMobile"]) == ["CODE_INVALID"]
    assert codes_of(other_number["data"]["setSecurityPhone"]) == ["CODE_INVALID"]


async def test_replacing_a_security_phone_needs_the_password_and_signs_out_others(
    member,
) -> None:
    app, gql = member
    code = await phone_code(gql, app, "SECURITY_PHONE")
    await gql(SET_SECURITY_PHONE, _verify(DE_MOBILE, code))
    other_device = (await login_payload(gql, EMAIL))["session"]["token"]
    new_number = "01512 3456780"

    code = await phone_code(gql, app, "SECURITY_PHONE", new_number)
    missing = await gql(SET_SECURITY_PHONE, _verify(new_number, code))
    wrong = await gql(SET_SECURITY_PHONE, _verify(new_number, code, currentPassword="nope-123"))
    right = await gql(SET_SECURITY_PHONE, _verify(new_number, code, currentPassword=PASSWORD))

    assert codes_of(missing["data"]["setSecurityPhone"]) == ["INVALID_CREDENTIALS"]
    assert codes_of(wrong["data"]["setSecurityPhone"]) == ["INVALID_CREDENTIALS"]
    assert right["data"]["setSecurityPhone"]["errors"] == []
    assert right["data"]["setSecurityPhone"]["account"]["securityPhone"]["masked"].endswith("6780")
    assert (await gql(ME))["data"]["me"] is not None  # this session stays
    assert (await gql(ME, **bearer(other_device)))["data"]["me"] is None
    assert (await outbox(app))[0]["kind"] == "security-phone-changed"


async def test_the_security_phone_can_be_skipped_and_set_later(member) -> None:
    app, gql = member
    skipped = (await gql(SKIP_SECURITY_PHONE))["data"]["skipSecurityPhone"]
    assert skipped["errors"] == []
    assert steps_of(await _progress(gql))["SECURITY_PHONE"] == "SKIPPED"
    assert (await _progress(gql))["nextStep"] == "ENABLE_CLOUD"

    code = await phone_code(gql, app, "SECURITY_PHONE")
    await gql(SET_SECURITY_PHONE, _verify(DE_MOBILE, code))
    assert steps_of(await _progress(gql))["SECURITY_PHONE"] == "COMPLETED"
    again = (await gql(SKIP_SECURITY_PHONE))["data"]["skipSecurityPhone"]
    assert codes_of(again) == ["ALREADY_COMPLETED"]


async def test_a_password_can_be_reset_by_a_code_texted_to_the_security_phone(member) -> None:
    app, gql = member
    code = await phone_code(gql, app, "SECURITY_PHONE")
    await gql(SET_SECURITY_PHONE, _verify(DE_MOBILE, code))

    asked = await gql(REQUEST_RESET, {"input": {"email": EMAIL, "channel": "SECURITY_PHONE"}})
    sms = (await outbox(app))[0]
    reset_code = await latest_code(app, DE_MOBILE_E164)
    reset = await gql(
        RESET, {"input": {"email": EMAIL, "code": reset_code, "newPassword": "texted-pass-4"}}
    )

    assert asked["data"]["requestPasswordReset"]["errors"] == []
    assert (sms["channel"], sms["kind"]) == ("SMS", "password-reset-code")
    assert reset["data"]["resetPassword"]["errors"] == []
    assert (await login_payload(gql, EMAIL, "texted-pass-4"))["errors"] == []


async def test_a_phone_reset_without_a_security_phone_sends_nothing(member) -> None:
    app, gql = member
    before = len(await outbox(app))
    asked = await gql(REQUEST_RESET, {"input": {"email": EMAIL, "channel": "SECURITY_PHONE"}})
    assert asked["data"]["requestPasswordReset"]["errors"] == []
    assert len(await outbox(app)) == before


# Step 4: enable cloud services


async def test_enabling_needs_every_current_agreement(member) -> None:
    _, gql = member
    agreements = (await gql("{ agreements { id key } }"))["data"]["agreements"]
    old_version = base64.b64encode(b"Agreement:5b0c8e9e-3f7a-4a53-9b7e-8d0f7c1f2a61").decode()

    one = await gql(ENABLE, {"input": {"acceptedAgreementIds": [agreements[0]["id"]]}})
    outdated = await gql(
        ENABLE, {"input": {"acceptedAgreementIds": [old_version, agreements[1]["id"]]}}
    )
    garbage = await gql(ENABLE, {"input": {"acceptedAgreementIds": ["garbage"]}})

    error = one["data"]["enableCloudServices"]["errors"][0]
    assert error["code"] == "AGREEMENTS_NOT_ACCEPTED"
    assert "Privacy Statement" in error["message"]
    assert codes_of(outdated["data"]["enableCloudServices"]) == ["AGREEMENTS_NOT_ACCEPTED"]
    assert "Customer Agreement" in outdated["data"]["enableCloudServices"]["errors"][0]["message"]
    assert garbage["data"]["enableCloudServices"]["errors"] == [
        {
            "field": "acceptedAgreementIds.0",
            "code": "NOT_FOUND",
            "message": "There is no such agreement.",
            "retryAfter": None,
        }
    ]
    assert not (await _progress(gql))["cloudServicesEnabled"]


async def test_enabling_records_each_acceptance_and_skips_the_security_phone(member) -> None:
    _, gql = member
    enabled = await enable_cloud(gql)

    account = enabled["account"]
    assert enabled["errors"] == []
    assert account["cloudServicesEnabled"]
    assert account["cloudServicesEnabledAt"]
    assert sorted(
        (a["agreement"]["key"], a["agreement"]["version"]) for a in account["acceptedAgreements"]
    ) == [("customer-agreement", "2026.1"), ("privacy-statement", "2026.1")]
    rows = await AgreementAcceptance.all()
    assert {(r.client_ip, r.user_agent) for r in rows} == {("198.51.100.10", "python-httpx/0.28.1")}
    progress = await _progress(gql)
    assert steps_of(progress)["SECURITY_PHONE"] == "SKIPPED"
    assert steps_of(progress)["ENABLE_CLOUD"] == "COMPLETED"
    assert progress["nextStep"] == "MOBILE_NUMBER"
    assert codes_of(await enable_cloud(gql)) == ["ALREADY_COMPLETED"]


async def test_a_turkish_huawei_id_is_sent_to_register_a_huawei_cloud_account(app_factory) -> None:
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, EMAIL, region="TR"))
        refused = await enable_cloud(gql)
        progress = await _progress(gql)

        cloud = GraphQLClient(http_client(app))
        cloud.headers = bearer(await sign_up(cloud, app, EMAIL, kind="HUAWEI_CLOUD", region="TR"))
        allowed = await enable_cloud(cloud)

    [error] = refused["errors"]
    assert error["code"] == "CLOUD_NOT_AVAILABLE_FOR_ACCOUNT_KIND"
    assert "HUAWEI CLOUD" in error["message"]
    statuses = steps_of(progress)
    assert [statuses[k] for k in ("ENABLE_CLOUD", "MOBILE_NUMBER", "ACCOUNT_DETAILS")] == [
        "BLOCKED"
    ] * 3
    assert statuses["PAYMENT_METHOD"] == "BLOCKED"
    assert progress["blocked"]
    assert all(
        "HUAWEI CLOUD" in s["blockedReason"] for s in progress["steps"] if s["status"] == "BLOCKED"
    )
    assert progress["nextStep"] == "SECURITY_PHONE"
    assert allowed["errors"] == []


async def test_once_only_blocked_steps_are_left_there_is_no_next_step(app_factory) -> None:
    async with app_factory() as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, EMAIL, region="TR"))
        await gql(SKIP_SECURITY_PHONE)
        progress = await _progress(gql)
    assert progress["nextStep"] is None
    assert progress["continueUrl"] is None


# Step 5.1: mobile number


async def test_a_mobile_number_needs_cloud_services_first(member) -> None:
    app, gql = member
    early_code = await gql(
        SEND_PHONE_CODE,
        {"input": {"purpose": "MOBILE_NUMBER", "regionCode": "DE", "phoneNumber": DE_MOBILE}},
    )
    early = await gql(ASSOCIATE_MOBILE, _verify(DE_MOBILE, "123456"))
    assert codes_of(early_code["data"]["sendPhoneCode"]) == ["PREREQUISITE_MISSING"]
    assert codes_of(early["data"]["associateMobile"]) == ["PREREQUISITE_MISSING"]

    await enable_cloud(gql)
    code = await phone_code(gql, app, "MOBILE_NUMBER")
    payload = (await gql(ASSOCIATE_MOBILE, _verify(DE_MOBILE, code)))["data"]["associateMobile"]

    assert payload["errors"] == []
    assert payload["account"]["mobile"] == {"regionCode": "DE", "masked": "+49 151 ****6789"}
    assert steps_of(await _progress(gql))["MOBILE_NUMBER"] == "COMPLETED"


async def test_a_mobile_number_is_never_a_login_name(member) -> None:
    app, gql = member
    await enable_cloud(gql)
    code = await phone_code(gql, app, "MOBILE_NUMBER")
    await gql(ASSOCIATE_MOBILE, _verify(DE_MOBILE, code))

    attempt = await gql(LOGIN, {"input": {"email": DE_MOBILE_E164, "password": PASSWORD}})
    assert attempt["data"]["login"]["session"] is None
    assert attempt["data"]["login"]["errors"]


# Step 5.2: account details


async def test_details_need_cloud_services_first(member) -> None:
    _, gql = member
    early = await gql(COMPLETE_DETAILS, {"input": INDIVIDUAL})
    assert codes_of(early["data"]["completeAccountDetails"]) == ["PREREQUISITE_MISSING"]


async def test_individual_details_are_trimmed_and_stored(member) -> None:
    _, gql = member
    await enable_cloud(gql)
    payload = (await gql(COMPLETE_DETAILS, {"input": INDIVIDUAL}))["data"]["completeAccountDetails"]
    assert payload["errors"] == []
    assert payload["account"]["details"] == {
        "__typename": "IndividualDetails",
        "fullName": "Amara Okafor",
        "address": None,
    }
    assert steps_of(await _progress(gql))["ACCOUNT_DETAILS"] == "COMPLETED"


async def test_enterprise_details_are_checked_field_by_field(member) -> None:
    _, gql = member
    await enable_cloud(gql)
    bad = {
        "enterprise": {
            **ENTERPRISE["enterprise"],
            "companyName": "   ",
            "registrationNumber": "AB",
            "taxId": "DE000000000",
            "registeredAddress": {"line1": "x" * 201, "city": "Berlin", "postalCode": "10115"},
        }
    }
    refused = (await gql(COMPLETE_DETAILS, {"input": bad}))["data"]["completeAccountDetails"]
    assert {(e["field"], e["code"]) for e in refused["errors"]} == {
        ("enterprise.companyName", "INVALID_INPUT"),
        ("enterprise.registrationNumber", "INVALID_INPUT"),
        ("enterprise.taxId", "INVALID_INPUT"),
        ("enterprise.registeredAddress.line1", "INVALID_INPUT"),
    }
    assert refused["account"] is None

    saved = (await gql(COMPLETE_DETAILS, {"input": ENTERPRISE}))["data"]["completeAccountDetails"]
    assert saved["errors"] == []
    assert saved["account"]["details"]["__typename"] == "EnterpriseDetails"
    assert saved["account"]["details"]["taxId"] == "DE136695976"
    assert saved["account"]["details"]["registeredAddress"]["city"] == "Berlin"


async def test_both_or_neither_kind_of_details_is_refused(member) -> None:
    _, gql = member
    await enable_cloud(gql)
    both = await gql.post(COMPLETE_DETAILS, {"input": {**INDIVIDUAL, **ENTERPRISE}})
    assert both.status_code == 200
    assert both.json()["errors"]


async def test_details_can_be_updated_later(member) -> None:
    _, gql = member
    await enable_cloud(gql)
    await gql(COMPLETE_DETAILS, {"input": INDIVIDUAL})
    switched = await gql(COMPLETE_DETAILS, {"input": ENTERPRISE})
    assert switched["data"]["completeAccountDetails"]["account"]["details"]["companyName"]


# The continue message


async def test_enabling_leaves_a_message_that_follows_progress(member) -> None:
    app, gql = member
    enabled = await enable_cloud(gql)
    [message] = enabled["account"]["messages"]
    assert message["title"] == "Complete your account information"
    assert message["link"] == f"{FRONTEND}/onboarding/mobile"
    assert message["readAt"] is None
    assert (await outbox(app))[0]["kind"] == "complete-account-information"

    code = await phone_code(gql, app, "MOBILE_NUMBER")
    moved = (await gql(ASSOCIATE_MOBILE, _verify(DE_MOBILE, code)))["data"]["associateMobile"]
    assert moved["account"]["messages"][0]["link"] == f"{FRONTEND}/onboarding/details"
    assert (await _progress(gql))["continueUrl"] == f"{FRONTEND}/onboarding/details"


async def test_messages_are_marked_read_by_their_owner_only(member) -> None:
    app, gql = member
    [message] = (await enable_cloud(gql))["account"]["messages"]

    read = (await gql(MARK_READ, {"input": {"messageIds": [message["id"]]}}))["data"]
    node = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": message["id"]})

    stranger = GraphQLClient(http_client(app, client_ip="192.0.2.1"))
    stranger.headers = bearer(await sign_up(stranger, app, "stranger@example.com"))
    foreign = (await stranger(MARK_READ, {"input": {"messageIds": [message["id"]]}}))["data"]
    foreign_node = await stranger("query($id: ID!) { node(id: $id) { id } }", {"id": message["id"]})

    assert read["markMessagesRead"]["messages"][0]["readAt"]
    assert node["data"]["node"]["id"] == message["id"]
    assert codes_of(foreign["markMessagesRead"]) == ["NOT_FOUND"]
    assert foreign_node["data"]["node"] is None


async def test_sign_in_tells_what_is_left(member) -> None:
    _, gql = member
    await enable_cloud(gql)
    body = await gql(
        """mutation($input: LoginInput!) { login(input: $input) {
          account { onboarding { nextStep continueUrl } } } }""",
        {"input": {"email": EMAIL, "password": PASSWORD}},
    )
    assert body["data"]["login"]["account"]["onboarding"] == {
        "nextStep": "MOBILE_NUMBER",
        "continueUrl": f"{FRONTEND}/onboarding/mobile",
    }


def test_masks_keep_the_calling_code_a_few_digits_and_the_last_four() -> None:
    assert mask("+4915123456789") == "+49 151 ****6789"
    assert mask("+447400123456") == "+44 740 ****3456"
    assert mask("+35312345") == "+353 ****2345"
