"""Every migration applies on top of a database that already holds rows, and keeps them.

Before each migration after the first, the rows of SEED_BEFORE[name] are inserted with
plain SQL (the shape the tables have at that point); after the newest migration every
seeded row must still be there. A new migration needs a SEED_BEFORE entry.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from models.config import APP_LABEL, tortoise_config
from models.migrate import apply_migrations

MIGRATIONS = sorted(
    p.stem for p in (Path(__file__).parent.parent / "models" / "migrations").glob("0*.py")
)
ACCOUNT_ID = "6f1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5b"

# Rows to insert, in the shape the tables have then, before applying the migration named.
SEED_BEFORE: dict[str, list[str]] = {
    "0002_sign_in": [
        "INSERT INTO accounts (id, kind, email, email_display, region_code, password_hash, "
        f"created_at) VALUES ('{ACCOUNT_ID}', 'HUAWEI_ID', 'ana@example.com', "
        "'Ana@Example.com', 'DE', 'x', '2026-01-01 00:00:00+00:00')",
    ],
    "0003_onboarding_steps": [
        "INSERT INTO sessions (id, account_id, token_mac, client_ip, user_agent, created_at, "
        f"expires_at) VALUES ('7a1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5c', '{ACCOUNT_ID}', 'mac', "
        "'127.0.0.1', 'test', '2026-01-01 00:00:00+00:00', '2026-01-15 00:00:00+00:00')",
        "INSERT INTO outbox_messages (id, channel, kind, recipient, subject, body, status, "
        "attempts, next_attempt_at, redacted, created_at) VALUES "
        "('8a1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5d', 'EMAIL', 'registration-code', "
        "'ana@example.com', 's', 'b', 'HELD', 0, '2026-01-01 00:00:00+00:00', false, "
        "'2026-01-01 00:00:00+00:00')",
    ],
    "0004_card_binding": [
        "INSERT INTO account_messages (id, account_id, kind, title, body, link, created_at) "
        f"VALUES ('9a1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5e', '{ACCOUNT_ID}', 'k', 't', 'b', NULL, "
        "'2026-01-01 00:00:00+00:00')",
    ],
    "0005_billing": [
        "INSERT INTO payment_cards (id, account_id, gateway_payment_method, brand, last4, "
        "expiry_month, expiry_year, holder_name, fingerprint, is_default, bound_at) VALUES "
        f"('aa1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5f', '{ACCOUNT_ID}', 'pm_1', 'visa', '4242', 12, "
        "2030, 'Ana', 'f', true, '2026-01-01 00:00:00+00:00')",
    ],
    "0006_card_first_six": [
        "INSERT INTO card_binding_attempts (id, account_id, status, deposit_status, "
        "gateway_payment_method, brand, first6, last4, expiry_month, expiry_year, holder_name, "
        "fingerprint, deposit_amount, deposit_currency, service_terms_id, terms_accepted_at, "
        "client_ip, user_agent, card_id, created_at, updated_at) VALUES "
        f"('ba1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a60', '{ACCOUNT_ID}', 'SUCCEEDED', 'REFUNDED', "
        "'pm_1', 'visa', '424242', '4242', 12, 2030, 'Ana', 'f', '0.93', 'EUR', "
        "'ca1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a61', '2026-01-01 00:00:00+00:00', '127.0.0.1', "
        "'test', 'aa1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a5f', '2026-01-01 00:00:00+00:00', "
        "'2026-01-01 00:00:00+00:00')",
    ],
    "0007_bind_races": [
        "INSERT INTO binding_idempotency_keys (id, account_id, key, request_hash, attempt_id, "
        f"created_at) VALUES ('da1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a62', '{ACCOUNT_ID}', 'k', 'h', "
        "'ba1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a60', '2026-01-01 00:00:00+00:00')",
    ],
    "0008_read_indexes": [
        "INSERT INTO service_tickets (id, account_id, number, subject, description, status, "
        f"created_at) VALUES ('ea1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a63', '{ACCOUNT_ID}', "
        "'ST-2026-000001', 's', 'd', 'OPEN', '2026-01-01 00:00:00+00:00')",
    ],
    "0009_deposit_refund_failed": [
        "INSERT INTO account_messages (id, account_id, kind, title, body, link, created_at) "
        f"VALUES ('fa1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a64', '{ACCOUNT_ID}', 'k', 't', 'b', NULL, "
        "'2026-01-02 00:00:00+00:00')",
    ],
    "0010_card_removal": [
        "INSERT INTO sandbox_payment_methods (id, brand, first6, last4, expiry_month, "
        "expiry_year, holder_name, fingerprint, behavior, created_at) VALUES ('pm_seed', "
        "'visa', '424242', '4242', 12, 2030, 'Ana', 'f', 'succeed', '2026-01-01 00:00:00+00:00')",
    ],
    "0011_bill_payments": [
        "INSERT INTO bills (id, account_id, number, kind, period_key, period_start, period_end, "
        "currency, tax_rate_percent, subtotal, tax, total, status, issued_at, charge_attempts) "
        f"VALUES ('0b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a65', '{ACCOUNT_ID}', 'B-1', 'MONTHLY', "
        "'2026-01', '2026-01-01', '2026-01-31', 'EUR', '19', '1.00', '0.19', '1.19', 'UNPAID', "
        "'2026-02-03 00:00:00+00:00', 0)",
    ],
    "0012_stripe_customers": [
        "INSERT INTO sandbox_payment_methods (id, brand, first6, last4, expiry_month, "
        "expiry_year, holder_name, fingerprint, behavior, created_at) VALUES ('pm_seed2', "
        "'visa', '424242', '4242', 12, 2030, 'Ana', 'g', 'succeed', '2026-01-01 00:00:00+00:00')",
    ],
    "0013_pay_bill": [
        "INSERT INTO bill_payments (id, bill_id, card_id, card_brand, card_last4, amount, "
        "currency, off_session, status, created_at) VALUES "
        "('1b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a66', '0b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a65', NULL, "
        "'visa', '4242', '1.19', 'EUR', true, 'FAILED', '2026-02-03 00:00:00+00:00')",
    ],
    "0014_arrears_from_charges": [
        "INSERT INTO usage_records (id, account_id, amount, currency, description, occurred_at) "
        f"VALUES ('2b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a67', '{ACCOUNT_ID}', '1.00', 'EUR', 'x', "
        "'2026-02-04 00:00:00+00:00')",
    ],
    "0015_charge_recovery": [
        "INSERT INTO bill_payment_keys (id, account_id, key, request_hash, payment_id, "
        f"created_at) VALUES ('3b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a68', '{ACCOUNT_ID}', 'pay-1', "
        "'h', '1b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a66', '2026-02-05 00:00:00+00:00')",
        "INSERT INTO stripe_customers (account_id, customer_id, created_at) VALUES "
        f"('{ACCOUNT_ID}', 'cus_seed', '2026-02-05 00:00:00+00:00')",
    ],
    "0016_staff": [
        "INSERT INTO service_tickets (id, account_id, number, subject, description, status, "
        f"created_at, attempt_id) VALUES ('3b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a68', '{ACCOUNT_ID}', "
        "'ST-2026-000002', 's', 'd', 'RESOLVED', '2026-02-05 00:00:00+00:00', "
        "'ba1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a60')",
    ],
    "0017_account_locale": [
        "INSERT INTO accounts (id, kind, email, email_display, region_code, password_hash, "
        "created_at, arrears_risk, arrears_from_charges) VALUES "
        "('4b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a69', 'HUAWEI_CLOUD', 'ana@example.com', "
        "'Ana@Example.com', 'JP', 'x', '2026-02-06 00:00:00+00:00', false, false)",
    ],
    "0018_outbox_locale": [
        "INSERT INTO outbox_messages (id, channel, kind, recipient, subject, body, status, "
        "attempts, next_attempt_at, redacted, created_at) VALUES "
        "('5b1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a6a', 'EMAIL', 'card-bound', 'ana@example.com', "
        "'s', 'b', 'PENDING', 0, '2026-02-07 00:00:00+00:00', false, "
        "'2026-02-07 00:00:00+00:00')",
    ],
}
# Rows every seeded table must still hold after the newest migration.
EXPECTED_ROWS = {
    "accounts": 2,
    "sessions": 1,
    "outbox_messages": 2,
    "account_messages": 2,
    "payment_cards": 1,
    "card_binding_attempts": 1,
    "binding_idempotency_keys": 1,
    "service_tickets": 2,
    "sandbox_payment_methods": 2,
    "bills": 1,
    "usage_records": 1,
    "bill_payments": 1,
    "bill_payment_keys": 1,
    "stripe_customers": 1,
}


@pytest.fixture
async def empty_database(database_url: str, tmp_path: Path):
    if database_url.startswith("sqlite://"):
        yield f"sqlite://{tmp_path / 'migrations.sqlite3'}"
        return
    base = os.environ["ONRAMP_TEST_DATABASE_URL"]
    server = base.rsplit("/", 1)[0]
    name = f"onramp_migrations_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server + "/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _run(db_url: str, statements: list[str]) -> None:
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        for statement in statements:
            await connections.get("default").execute_script(statement)
    finally:
        await Tortoise.close_connections()


async def _count(db_url: str, table: str) -> int:
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        rows = await connections.get("default").execute_query_dict(
            f'SELECT COUNT(*) AS n FROM "{table}"'
        )
    finally:
        await Tortoise.close_connections()
    return int(rows[0]["n"])


async def _values(db_url: str, query: str) -> list[tuple[object, ...]]:
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        rows = await connections.get("default").execute_query_dict(query)
    finally:
        await Tortoise.close_connections()
    return [tuple(row.values()) for row in rows]


def test_every_migration_after_the_first_has_seed_rows() -> None:
    assert MIGRATIONS[0] == "0001_initial"
    assert set(MIGRATIONS[1:]) <= set(SEED_BEFORE), "add SEED_BEFORE rows for the new migration"


async def test_migrations_apply_one_by_one_over_existing_rows(empty_database: str) -> None:
    config = tortoise_config(empty_database)
    for name in MIGRATIONS:
        await _run(empty_database, SEED_BEFORE.get(name, []))
        try:
            await migrate(config=config, target=f"{APP_LABEL}.{name}")
        finally:
            await Tortoise.close_connections()

    await apply_migrations(empty_database)  # nothing left to do: a no-op

    for table, count in EXPECTED_ROWS.items():
        assert await _count(empty_database, table) == count, table
    # 0006 gave cards bound before it the first six digits of the attempt that bound them.
    assert await _values(empty_database, "SELECT first6 FROM payment_cards") == [("424242",)]
    # 0007 let a key wait for its attempt (null) and kept one key per account and key.
    with pytest.raises(IntegrityError):
        await _run(
            empty_database,
            [
                "INSERT INTO binding_idempotency_keys (id, account_id, key, request_hash, "
                f"attempt_id, created_at) VALUES ('ea1c2d3e-4b5a-4978-8a9b-0c1d2e3f4a63', "
                f"'{ACCOUNT_ID}', 'k', 'h', NULL, '2026-01-01 00:00:00+00:00')"
            ],
        )
    assert await _values(empty_database, "SELECT reconcile_tries FROM card_binding_attempts") == [
        (0,)
    ]
    # 0015: a payment made before it was never asked again; a key made before it has answered.
    assert await _values(empty_database, "SELECT checks, next_check_at FROM bill_payments") == [
        (0, None)
    ]
    assert await _values(empty_database, "SELECT answering FROM bill_payment_keys") == [(False,)]
    assert await _values(empty_database, "SELECT answering FROM binding_idempotency_keys") == [
        (False,)
    ]
    # 0017: accounts from before languages read English.
    assert await _values(empty_database, "SELECT DISTINCT locale FROM accounts") == [("en",)]
    # 0018: messages written before it do not say their language.
    assert await _values(empty_database, "SELECT DISTINCT locale FROM outbox_messages") == [(None,)]
    # 0016 dated tickets made before it as last updated when they were made.
    assert await _values(
        empty_database, "SELECT COUNT(*) FROM service_tickets WHERE updated_at = created_at"
    ) == [(2,)]


# Columns that requests and jobs look rows up by: each leads an index on both databases.
LOOKUPS = {
    ("payment_cards", "account_id"),
    ("sessions", "account_id"),
    ("account_messages", "account_id"),
    ("service_tickets", "account_id"),
    ("card_binding_attempts", "account_id"),
    ("card_binding_attempts", "gateway_intent"),
    ("card_binding_attempts", "gateway_charge"),
    ("card_binding_attempts", "deposit_status"),
    ("bills", "status"),
    ("bill_payments", "status"),
    ("service_tickets", "status"),
    ("service_ticket_replies", "ticket_id"),
    ("payment_cards", "last4"),
    ("card_binding_attempts", "last4"),
    ("outbox_messages", "recipient"),
    ("audit_entries", "account_id"),
    ("audit_entries", "staff_id"),
    ("staff_sessions", "staff_id"),
    ("sandbox_webhooks", "delivered_at"),
}


async def _leading_columns(table: str) -> set[str]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        rows = await connection.execute_query_dict(
            "SELECT a.attname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
            "WHERE c.relname = $1",
            [table],
        )
        return {row["name"] for row in rows}
    leading = set()
    for index in await connection.execute_query_dict(f'PRAGMA index_list("{table}")'):
        columns = await connection.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
        leading.add(min(columns, key=lambda c: c["seqno"])["name"])
    return leading


async def test_rows_are_looked_up_through_indexes(app) -> None:
    missing = [
        (table, column)
        for table, column in sorted(LOOKUPS)
        if column not in await _leading_columns(table)
    ]
    assert not missing


@pytest.mark.parametrize(("query", "synchronous"), [("", 1), ("?synchronous=FULL", 2)])
async def test_sqlite_flushes_at_checkpoints_unless_the_url_asks_for_every_commit(
    tmp_path: Path, query: str, synchronous: int
) -> None:
    url = f"sqlite://{tmp_path / 'onramp.sqlite3'}{query}"
    assert await _values(url, "PRAGMA journal_mode") == [("wal",)]
    assert await _values(url, "PRAGMA synchronous") == [(synchronous,)]  # 1 NORMAL, 2 FULL
