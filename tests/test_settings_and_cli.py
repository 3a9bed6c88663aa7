"""Settings, the refusal of unsafe ones, the development secret, derived keys and the CLI."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import Settings, UnsafeSettingsError
from services.keys import KeyRing, Purpose

ROOT = Path(__file__).resolve().parent.parent


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
    env.update(extra)
    return env


def test_defaults_are_those_of_the_contract(monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith("ONRAMP_"):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.env == "development"
    assert settings.database_url == "sqlite://./var/onramp.sqlite3"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.frontend_base == "http://127.0.0.1:8000"
    assert settings.origins == ["http://127.0.0.1:8000"]
    assert settings.threeds_timeout_s == 900
    assert settings.gateway == "sandbox"
    assert settings.session_cookie_name == "onramp_session"
    assert settings.graphiql_enabled


def test_environment_variables_are_read(monkeypatch) -> None:
    monkeypatch.setenv("ONRAMP_ALLOWED_ORIGINS", "https://a.test, https://b.test/")
    monkeypatch.setenv("ONRAMP_TRUSTED_PROXIES", "10.0.0.1,10.0.0.2")
    monkeypatch.setenv("ONRAMP_3DS_TIMEOUT_S", "60")
    monkeypatch.setenv("ONRAMP_FRONTEND_URL", "https://app.test/")
    settings = Settings()
    assert settings.origins == ["https://a.test", "https://b.test"]
    assert settings.trusted_proxies == ["10.0.0.1", "10.0.0.2"]
    assert settings.threeds_timeout_s == 60
    assert settings.frontend_base == "https://app.test"


def test_origins_default_to_the_public_and_frontend_urls() -> None:
    settings = Settings(public_url="https://api.test", frontend_url="https://app.test/start")
    assert settings.origins == ["https://api.test", "https://app.test"]


def test_outside_development_every_missing_variable_is_named() -> None:
    settings = Settings(env="staging", secret_key=None, smtp_host=None, sms_webhook_url=None)
    with pytest.raises(UnsafeSettingsError) as refused:
        settings.check_safe()
    for name in ("ONRAMP_SECRET_KEY", "ONRAMP_SMTP_HOST", "ONRAMP_SMS_WEBHOOK_URL"):
        assert name in str(refused.value)


SAFE = {"secret_key": "k" * 40, "smtp_host": "smtp.test", "sms_webhook_url": "https://sms.test"}


def test_staging_allows_the_sandbox_gateway_and_production_refuses_it() -> None:
    Settings(env="staging", **SAFE).check_safe()
    with pytest.raises(UnsafeSettingsError, match="ONRAMP_GATEWAY"):
        Settings(env="production", **SAFE).check_safe()


def test_outside_development_cookies_are_secure_and_graphiql_is_off() -> None:
    settings = Settings(env="production", **SAFE)
    assert settings.session_cookie_name == "__Host-onramp_session"
    assert not settings.graphiql_enabled
    assert Settings(env="production", graphiql=True, **SAFE).graphiql_enabled


def test_development_secret_is_generated_once_with_mode_0600(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = Settings(secret_key=None).master_secret()
    second = Settings(secret_key=None).master_secret()

    key_file = tmp_path / "var" / "secret.key"
    assert first == second == key_file.read_bytes()
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_keys_are_derived_per_purpose_and_stable() -> None:
    ring = KeyRing(b"master-secret")
    keys = {purpose: ring.key(purpose) for purpose in Purpose}
    assert len(set(keys.values())) == len(Purpose)
    assert KeyRing(b"master-secret").key(Purpose.CODES) == keys[Purpose.CODES]
    assert KeyRing(b"other-secret").key(Purpose.CODES) != keys[Purpose.CODES]
    assert ring.mac(Purpose.CODES, "123456") != ring.mac(Purpose.SESSIONS, "123456")


def test_a_mac_is_hmac_sha256_under_the_purposes_key_call_after_call() -> None:
    """Each call starts from the keyed state the ring keeps: no message leaks into the next."""
    ring = KeyRing(b"master-secret")
    for purpose in (Purpose.SESSIONS, Purpose.CODES):
        for message in ("a-token", "123456", "a-token", "", "é" * 40):
            expected = hmac.new(ring.key(purpose), message.encode(), hashlib.sha256).hexdigest()
            assert ring.mac(purpose, message) == expected
            assert ring.mac(purpose, message.encode()) == expected


def _onramp(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_is_refused_outside_development_naming_each_variable(tmp_path) -> None:
    env = _clean_env(ONRAMP_ENV="production", PYTHONPATH=str(ROOT))
    result = _onramp("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    for name in ("ONRAMP_SECRET_KEY", "ONRAMP_SMTP_HOST", "ONRAMP_SMS_WEBHOOK_URL", "GATEWAY"):
        assert name in result.stderr


def test_several_workers_need_postgres_and_redis(tmp_path) -> None:
    env = _clean_env(PYTHONPATH=str(ROOT))
    result = _onramp("serve", "--workers", "2", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr
    assert "Redis" in result.stderr


def test_migrate_creates_the_database_and_is_idempotent(tmp_path) -> None:
    env = _clean_env(PYTHONPATH=str(ROOT))
    for _ in range(2):
        result = _onramp("migrate", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "onramp.sqlite3").is_file()


SERVE_AND_WRITE = """
import asyncio, os, stat
from asgi_lifespan import LifespanManager
import httpx
from api.app import create_app

async def main():
    app = create_app()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            query = 'mutation { sendRegistrationCode(input: {email: "a@example.com"}) '
            query += "{ __typename } }"
            await c.post("/graphql", json={"query": query})
        for name in sorted(os.listdir("var")):
            print(name, oct(stat.S_IMODE(os.stat(os.path.join("var", name)).st_mode)))
    print("var", oct(stat.S_IMODE(os.stat("var").st_mode)))

asyncio.run(main())
"""


def test_database_files_under_var_are_private_like_the_secret_key(tmp_path) -> None:
    env = _clean_env(PYTHONPATH=str(ROOT))
    assert _onramp("migrate", env=env, cwd=tmp_path).returncode == 0
    result = subprocess.run(
        [sys.executable, "-c", SERVE_AND_WRITE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modes = dict(line.split() for line in result.stdout.splitlines())
    assert modes.pop("var") == "0o700"
    assert "onramp.sqlite3" in modes
    assert "secret.key" in modes
    assert set(modes.values()) == {"0o600"}, modes


def test_operating_settings_have_the_documented_defaults(monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith(("ONRAMP_", "OTEL_")):
            monkeypatch.delenv(name)
    settings = Settings()
    assert (settings.log_format, settings.log_level, settings.log_json) == (None, "INFO", False)
    assert (settings.metrics_token, settings.shutdown_grace_s) == (None, 20)
    assert settings.tracing_enabled is False
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.invalid:4318")
    assert Settings().tracing_enabled is True
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert Settings().tracing_enabled is False


def test_a_short_metrics_token_is_refused_outside_development() -> None:
    staging = {
        "env": "staging",
        "secret_key": "s" * 40,
        "smtp_host": "smtp.invalid",
        "sms_webhook_url": "http://sms.invalid/",
    }
    Settings(**staging, metrics_token="m" * 32).check_safe()
    with pytest.raises(UnsafeSettingsError, match="ONRAMP_METRICS_TOKEN"):
        Settings(**staging, metrics_token="short").check_safe()


def test_several_workers_share_a_metrics_directory_made_for_the_run(monkeypatch) -> None:
    from api.cli import _metrics_shared_by

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with _metrics_shared_by(1):
        single = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    with _metrics_shared_by(2):
        made = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
        existed = made.is_dir()
    assert single is None
    assert existed
    assert not made.exists()  # removed after the run
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
