"""Regions, the password policy, agreements and `node`, through the real app."""

from __future__ import annotations

import base64

import phonenumbers
from babel import Locale

REGIONS = """{ regions { code name callingCode currency taxRatePercent governingLaw
  cloudEnableKinds } }"""


async def test_regions_come_from_the_data_file_and_the_libraries(gql) -> None:
    regions = {r["code"]: r for r in (await gql(REGIONS))["data"]["regions"]}

    assert len(regions) >= 40
    english = Locale.parse("en").territories
    for code, region in regions.items():
        assert region["name"] == english[code]  # CLDR's name (signed out, no Accept-Language)
        assert region["callingCode"] == f"+{phonenumbers.country_code_for_region(code)}"
        assert region["governingLaw"]
    assert (regions["DE"]["name"], regions["TR"]["name"]) == ("Germany", "Türkiye")
    assert regions["DE"]["callingCode"] == "+49"
    assert regions["DE"]["currency"] == "EUR"
    assert regions["DE"]["taxRatePercent"] == "19"
    assert {regions[c]["currency"] for c in ("JP", "KR", "KW", "BH")} == {
        "JPY",
        "KRW",
        "KWD",
        "BHD",
    }


async def test_turkiye_lets_only_huawei_cloud_accounts_enable_cloud(gql) -> None:
    regions = {r["code"]: r for r in (await gql(REGIONS))["data"]["regions"]}

    assert regions["TR"]["cloudEnableKinds"] == ["HUAWEI_CLOUD"]
    assert regions["DE"]["cloudEnableKinds"] == ["HUAWEI_ID", "HUAWEI_CLOUD"]


async def test_password_policy(gql) -> None:
    policy = await gql(
        "{ passwordPolicy { minLength maxLength requiresLetter requiresDigit allowsSpaces } }"
    )
    assert policy["data"]["passwordPolicy"] == {
        "minLength": 8,
        "maxLength": 128,
        "requiresLetter": True,
        "requiresDigit": True,
        "allowsSpaces": False,
    }


async def test_agreements_lists_the_current_version_of_each_cloud_agreement(gql) -> None:
    body = await gql("{ agreements { id key title version url effectiveFrom } }")
    agreements = body["data"]["agreements"]

    assert [(a["key"], a["version"]) for a in agreements] == [
        ("customer-agreement", "2026.1"),
        ("privacy-statement", "2026.1"),
    ]
    assert agreements[0]["url"] == "https://app.example.test/legal/customer-agreement/2026.1"
    assert agreements[0]["effectiveFrom"].startswith("2026-03-01T00:00:00")


async def test_node_resolves_an_agreement_by_its_opaque_id(gql) -> None:
    agreement = (await gql("{ agreements { id key } }"))["data"]["agreements"][0]

    body = await gql(
        "query($id: ID!) { node(id: $id) { id ... on Agreement { key version } } }",
        {"id": agreement["id"]},
    )

    assert body["data"]["node"]["key"] == agreement["key"]
    assert agreement["id"] == body["data"]["node"]["id"]


async def test_node_reads_null_for_malformed_and_unknown_ids(gql) -> None:
    unknown = base64.b64encode(b"Agreement:00000000-0000-0000-0000-000000000000").decode()
    wrong_type = base64.b64encode(b"Nonsense:1").decode()
    not_uuid = base64.b64encode(b"Agreement:1").decode()

    for node_id in ("not-an-id", unknown, wrong_type, not_uuid, ""):
        body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
        assert body == {"data": {"node": None}}, node_id


AGREEMENT = """query($key: String!, $version: String!) { agreement(key: $key, version: $version) {
  key version title url content } }"""


async def test_every_agreement_version_has_its_own_text(gql) -> None:
    current = (await gql("{ agreements { key version url content } }"))["data"]["agreements"]
    assert current
    for agreement in current:
        assert agreement["content"].startswith("# ")
        assert f"Version {agreement['version']}" in agreement["content"]
        assert agreement["url"].endswith(f"/legal/{agreement['key']}/{agreement['version']}")


async def test_any_version_can_be_read_by_key_and_version(gql) -> None:
    old = (await gql(AGREEMENT, {"key": "customer-agreement", "version": "2025.1"}))["data"]
    new = (await gql(AGREEMENT, {"key": "customer-agreement", "version": "2026.1"}))["data"]
    assert old["agreement"]["version"] == "2025.1"
    assert "Version 2025.1" in old["agreement"]["content"]
    assert old["agreement"]["content"] != new["agreement"]["content"]
    unknown = await gql(AGREEMENT, {"key": "customer-agreement", "version": "1999.1"})
    assert unknown["data"]["agreement"] is None
