"""GraphQL documents and the steps a person takes, shared by the API tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, latest_code

ERRORS = "errors { field code message retryAfter }"
SEND_CODE = f"""mutation($input: SendRegistrationCodeInput!) {{
  sendRegistrationCode(input: $input) {{ expiresAt resendAvailableAt {ERRORS} }} }}"""
REGISTER = f"""mutation($input: RegisterInput!) {{
  register(input: $input) {{
    account {{ id kind email createdAt region {{ code currency }} }}
    session {{ token expiresAt }} {ERRORS} }} }}"""
LOGIN = f"""mutation($input: LoginInput!) {{
  login(input: $input) {{
    account {{ id email kind }} session {{ token expiresAt }} {ERRORS} }} }}"""
LOGOUT = f"mutation {{ logout {{ {ERRORS} }} }}"
ME = "{ me { id email kind region { code } } }"
REQUEST_RESET = f"""mutation($input: RequestPasswordResetInput!) {{
  requestPasswordReset(input: $input) {{ expiresAt resendAvailableAt {ERRORS} }} }}"""
RESET = f"""mutation($input: ResetPasswordInput!) {{
  resetPassword(input: $input) {{ {ERRORS} }} }}"""

PASSWORD = "correct-horse-9"


async def send_code(gql: GraphQLClient, email: str, kind: str = "HUAWEI_ID") -> dict[str, Any]:
    body = await gql(SEND_CODE, {"input": {"email": email, "kind": kind}})
    return body["data"]["sendRegistrationCode"]


async def register_payload(
    gql: GraphQLClient,
    email: str,
    code: str,
    *,
    kind: str = "HUAWEI_ID",
    region: str = "DE",
    password: str = PASSWORD,
) -> dict[str, Any]:
    variables = {
        "input": {
            "kind": kind,
            "regionCode": region,
            "email": email,
            "emailCode": code,
            "password": password,
        }
    }
    return (await gql(REGISTER, variables))["data"]["register"]


async def sign_up(
    gql: GraphQLClient, app: Any, email: str, *, kind: str = "HUAWEI_ID", region: str = "DE"
) -> str:
    """Registers an account the way the frontend does; returns its session token."""
    sent = await send_code(gql, email, kind)
    assert sent["errors"] == []
    payload = await register_payload(
        gql, email, await latest_code(app, email), kind=kind, region=region
    )
    assert payload["errors"] == [], payload["errors"]
    return payload["session"]["token"]


async def login_payload(
    gql: GraphQLClient, email: str, password: str = PASSWORD, kind: str = "HUAWEI_ID", **headers
) -> dict[str, Any]:
    variables = {"input": {"email": email, "password": password, "kind": kind}}
    return (await gql(LOGIN, variables, **headers))["data"]["login"]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def codes_of(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


PROGRESS = """{ onboarding { steps { key status required completedAt blockedReason }
  nextStep blocked cloudServicesEnabled canSubscribeToServices continueUrl } }"""
SEND_PHONE_CODE = f"""mutation($input: SendPhoneCodeInput!) {{
  sendPhoneCode(input: $input) {{ expiresAt resendAvailableAt {ERRORS} }} }}"""
ACCOUNT_FIELDS = """account { id securityPhone { regionCode masked verifiedAt }
  mobile { regionCode masked } cloudServicesEnabled cloudServicesEnabledAt
  acceptedAgreements { acceptedAt agreement { key version } }
  details { __typename ... on IndividualDetails { fullName address { line1 city postalCode } }
    ... on EnterpriseDetails { companyName registrationNumber taxId contactName
      registeredAddress { line1 line2 city state postalCode } } }
  messages { id title body link readAt } }"""
SET_SECURITY_PHONE = f"""mutation($input: VerifyPhoneInput!) {{
  setSecurityPhone(input: $input) {{ {ACCOUNT_FIELDS} {ERRORS} }} }}"""
SKIP_SECURITY_PHONE = f"mutation {{ skipSecurityPhone {{ {ACCOUNT_FIELDS} {ERRORS} }} }}"
ENABLE = f"""mutation($input: EnableCloudServicesInput!) {{
  enableCloudServices(input: $input) {{ {ACCOUNT_FIELDS} {ERRORS} }} }}"""
ASSOCIATE_MOBILE = f"""mutation($input: VerifyPhoneInput!) {{
  associateMobile(input: $input) {{ {ACCOUNT_FIELDS} {ERRORS} }} }}"""
COMPLETE_DETAILS = f"""mutation($input: AccountDetailsInput!) {{
  completeAccountDetails(input: $input) {{ {ACCOUNT_FIELDS} {ERRORS} }} }}"""
MARK_READ = f"""mutation($input: MarkMessagesReadInput!) {{
  markMessagesRead(input: $input) {{ messages {{ id readAt }} {ERRORS} }} }}"""
AGREEMENTS = "{ agreements { id key version } }"

DE_MOBILE = "01512 3456789"  # national form of +49 151 23456789
DE_MOBILE_E164 = "+4915123456789"


async def phone_code(
    gql: GraphQLClient, app: Any, purpose: str, number: str = DE_MOBILE, region: str = "DE"
) -> str:
    body = await gql(
        SEND_PHONE_CODE,
        {"input": {"purpose": purpose, "regionCode": region, "phoneNumber": number}},
    )
    assert body["data"]["sendPhoneCode"]["errors"] == [], body
    return await latest_code(app, normalised_number(number, region))


def normalised_number(number: str, region: str) -> str:
    import phonenumbers

    parsed = phonenumbers.parse(number, region)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def enable_cloud(gql: GraphQLClient) -> dict[str, Any]:
    ids = [a["id"] for a in (await gql(AGREEMENTS))["data"]["agreements"]]
    body = await gql(ENABLE, {"input": {"acceptedAgreementIds": ids}})
    return body["data"]["enableCloudServices"]


def steps_of(progress: dict[str, Any]) -> dict[str, str]:
    return {step["key"]: step["status"] for step in progress["steps"]}


BIND = f"""mutation($input: BindCardInput!) {{ bindCard(input: $input) {{
  attempt {{ id status brand last4 maskedNumber holderName expiryMonth expiryYear
    deposit {{ amount currency }} depositStatus failureReason result
    nextAction {{ type redirectUrl expiresAt }} serviceTerms {{ key version }}
    card {{ id brand last4 isDefault }} createdAt updatedAt completedAt }}
  {ERRORS} }} }}"""
ATTEMPT = """query($id: ID!) { node(id: $id) { ... on CardBindingAttempt {
  id status depositStatus failureReason result completedAt
  card { id brand last4 isDefault expiryMonth expiryYear holderName } } } }"""
GATEWAY = """{ paymentGateway { name tokenizationUrl publishableKey acceptedBrands
  serviceTerms { id key version } } }"""
INDIVIDUAL_DETAILS = {"individual": {"fullName": "Test Person"}}


async def ready_for_card(gql: GraphQLClient, app: Any, email: str, region: str = "DE") -> str:
    """Registers, enables cloud services and completes details; returns the session token."""
    token = await sign_up(gql, app, email, region=region)
    gql.headers = bearer(token)
    assert (await enable_cloud(gql))["errors"] == []
    done = await gql(COMPLETE_DETAILS, {"input": INDIVIDUAL_DETAILS})
    assert done["data"]["completeAccountDetails"]["errors"] == []
    return token


async def tokenize(
    gql: GraphQLClient,
    number: str,
    *,
    cvc: str | None = None,
    exp_month: int = 12,
    exp_year: int = 2030,
    holder: str = "Test Person",
) -> Any:
    """Posts card fields to the gateway's tokenizer, as the frontend does; returns the response."""
    gateway = (await gql(GATEWAY))["data"]["paymentGateway"]
    digits = number.replace(" ", "")
    body = {
        "number": number,
        "expMonth": exp_month,
        "expYear": exp_year,
        "cvc": cvc or ("1234" if digits.startswith(("34", "37")) else "123"),
        "holderName": holder,
    }
    path = gateway["tokenizationUrl"].removeprefix("http://testserver.local")
    return await gql.http.post(
        path, json=body, headers={"authorization": f"Bearer {gateway['publishableKey']}"}
    )


async def bind(
    gql: GraphQLClient,
    token: str,
    key: str,
    *,
    accept: bool = True,
    return_url: str | None = None,
) -> dict[str, Any]:
    variables = {
        "input": {
            "paymentMethodToken": token,
            "acceptServiceTerms": accept,
            "idempotencyKey": key,
            "returnUrl": return_url,
        }
    }
    return (await gql(BIND, variables))["data"]["bindCard"]


async def answer_bank(gql: GraphQLClient, redirect_url: str, outcome: str) -> Any:
    path = redirect_url.removeprefix("http://testserver.local")
    page = await gql.http.get(path)
    assert page.status_code == 200, page.text
    return await gql.http.post(path, data={"outcome": outcome})


async def attempt_until(
    gql: GraphQLClient, attempt_id: str, done: Any, timeout_s: float = 5.0
) -> dict[str, Any]:
    """Polls the attempt until `done(attempt)` holds; fails after the timeout."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        attempt = (await gql(ATTEMPT, {"id": attempt_id}))["data"]["node"]
        if done(attempt):
            return attempt
        assert loop.time() < deadline, f"attempt did not get there in time: {attempt}"
        await asyncio.sleep(0.05)
