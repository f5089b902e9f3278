"""Configuration: production refuses to start without its secrets; development says so loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from samen_sms.app import create_app
from samen_sms.core.config import Config, ConfigError
from samen_sms.line.runtime import build_runtime
from tests.conftest import test_env as line_env

PRODUCTION = {
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "PUBLIC_URL": "https://line.example.org",
    "SAMEN_SECRET_KEY": "s" * 32,
    "REDIS_URL": "redis://redis.internal:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_SMS_FROM": "+447700900000",
}


def test_production_starts_with_every_setting() -> None:
    cfg = Config.from_env(PRODUCTION)
    assert not cfg.development and cfg.redis_url == PRODUCTION["REDIS_URL"]
    assert Config.from_env({**PRODUCTION, "TWILIO_SMS_FROM": "", "TWILIO_MESSAGING_SERVICE_SID": "MG" + "2" * 32})


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("REDIS_URL", "", "REDIS_URL"),
        ("TWILIO_ACCOUNT_SID", "", "TWILIO_ACCOUNT_SID"),
        ("TWILIO_SMS_FROM", "", "TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID"),
        ("TWILIO_ACCOUNT_SID", "AC" + "0" * 32, "TWILIO_ACCOUNT_SID"),
        ("TWILIO_AUTH_TOKEN", "dev-auth-token-not-secret", "TWILIO_AUTH_TOKEN"),
        ("SAMEN_SECRET_KEY", "development-only-secret-key-do-not-use", "SAMEN_SECRET_KEY"),
        ("PUBLIC_URL", "http://line.example.org", "PUBLIC_URL"),
        ("SAMEN_WORKERS", "0", "SAMEN_WORKERS"),
    ],
)
def test_production_refuses_unsafe_defaults_naming_the_variable(name: str, value: str, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        Config.from_env({**PRODUCTION, name: value})
    assert named in str(err.value)


def test_worker_settings_go_through_config() -> None:
    cfg = Config.from_env({**PRODUCTION, "SAMEN_WORKERS": "6", "SAMEN_WORKER_TTL": "60", "SAMEN_SWEEP_INTERVAL": "9"})
    assert (cfg.workers, cfg.worker_ttl, cfg.sweep_interval) == (6, 60, 9)


def test_production_refuses_missing_secrets() -> None:
    with pytest.raises(ConfigError) as err:
        Config.from_env({"TWILIO_AUTH_TOKEN": "x" * 32})
    assert "PUBLIC_URL" in str(err.value) and "SAMEN_SECRET_KEY" in str(err.value)


def test_development_fills_in_local_values(caplog: pytest.LogCaptureFixture) -> None:
    cfg = Config.from_env({"SAMEN_ENV": "development"})
    assert cfg.development and cfg.check_signatures
    assert cfg.public_url == "http://127.0.0.1:5000"
    assert "DEVELOPMENT MODE" in caplog.text


def test_signature_check_cannot_be_switched_off_off_loopback() -> None:
    cfg = Config.from_env(
        {"SAMEN_ENV": "development", "SAMEN_CHECK_SIGNATURES": "0", "PUBLIC_URL": "https://line.example.org"}
    )
    with pytest.raises(ConfigError):
        create_app(config=cfg)
    production = Config.from_env({**PRODUCTION, "SAMEN_CHECK_SIGNATURES": "0"})
    assert production.check_signatures


@pytest.mark.integration  # the app tries the Redis it is given, in vain
def test_development_on_loopback_may_switch_signatures_off_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    cfg = Config.from_env(
        {
            "SAMEN_ENV": "development",
            "SAMEN_CHECK_SIGNATURES": "0",
            "PUBLIC_URL": "http://127.0.0.1:5000",
            "REDIS_URL": "redis://127.0.0.1:9/0",  # never contacted: an unsigned request is all we send
        }
    )
    assert not cfg.check_signatures
    assert "signature checks OFF" in caplog.text
    app = create_app(config=cfg)
    response = app.test_client().post("/twilio/inbound", data={"From": "+447700900123"})
    assert response.status_code == 400  # past the signature check, stopped by the missing MessageSid


def test_the_line_name_is_a_setting_and_must_be_neutral(redis_server: str) -> None:
    env = {"SAMEN_ENV": "development", "REDIS_URL": redis_server}
    assert Config.from_env(env).line_name == "SAMEN"
    named = Config.from_env({**env, "SAMEN_LINE_NAME": " Stichting Voorbeeld "})
    assert named.line_name == "Stichting Voorbeeld"
    assert build_runtime(named).renderer.params["line_name"] == "Stichting Voorbeeld"
    with pytest.raises(ConfigError, match="SAMEN_LINE_NAME"):
        build_runtime(Config.from_env({**env, "SAMEN_LINE_NAME": "Hulplijn Seksueel Geweld"}))


def test_trusted_proxies_are_off_unless_set_and_never_negative() -> None:
    assert Config.from_env(PRODUCTION).trusted_proxies == 0
    assert Config.from_env({**PRODUCTION, "SAMEN_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    with pytest.raises(ConfigError, match="SAMEN_TRUSTED_PROXIES"):
        Config.from_env({**PRODUCTION, "SAMEN_TRUSTED_PROXIES": "-1"})


def test_proxy_addresses_are_loopback_unless_set_and_each_an_address_or_network() -> None:
    assert Config.from_env(PRODUCTION).proxy_addresses == ("127.0.0.1", "::1")
    given = {**PRODUCTION, "SAMEN_PROXY_ADDRESSES": "10.0.0.5, 192.0.2.0/28"}
    assert Config.from_env(given).proxy_addresses == ("10.0.0.5", "192.0.2.0/28")
    with pytest.raises(ConfigError, match="SAMEN_PROXY_ADDRESSES: 'proxy.example.org' is not an IP address"):
        Config.from_env({**PRODUCTION, "SAMEN_PROXY_ADDRESSES": "proxy.example.org"})


ROOT = Path(__file__).resolve().parent.parent
# Read by the code but not settings of a real line: an old name, and knobs of local runs and tests.
NOT_IN_ENV_EXAMPLE = {"SAMEN_SESSION_TTL", "SAMEN_CHECK_SIGNATURES", "SAMEN_INSTANCE_DIR"}


def test_env_example_lists_every_setting_the_line_reads_and_the_readme_names_them_too() -> None:
    setting = re.compile(r"""["']((?:SAMEN|TWILIO|REDIS)_[A-Z_]+|PUBLIC_URL|PROMETHEUS_MULTIPROC_DIR)["']""")
    sources = [ROOT / "app.py", *(ROOT / "samen_sms").rglob("*.py"), *(ROOT / "workers").rglob("*.py")]
    read = {name for path in sources if "devtools" not in path.parts for name in setting.findall(path.read_text())}
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert read - NOT_IN_ENV_EXAMPLE - listed == set()
    assert listed - read == set()  # nothing listed that no code reads
    readme = (ROOT / "docs" / "configuration.md").read_text()
    assert {name for name in listed if f"`{name}`" not in readme} == set()
    # .env.example is the production template: no value there may point a line at a local Redis.
    assert re.search(r"^REDIS_URL=$", example, re.MULTILINE)


def test_a_whatsapp_sender_without_its_prefix_is_refused_at_start() -> None:
    # Twilio would refuse every WhatsApp reply from it (21910), one person at a time.
    with pytest.raises(ConfigError, match="TWILIO_WHATSAPP_FROM must be written whatsapp:"):
        Config.from_env({**PRODUCTION, "TWILIO_WHATSAPP_FROM": "+447700900001"})
    assert Config.from_env({**PRODUCTION, "TWILIO_WHATSAPP_FROM": "whatsapp:+447700900001"}).twilio_whatsapp_from


def test_twilios_log_is_purged_in_production_unless_turned_off(redis_server: str) -> None:
    env = {k: v for k, v in line_env(redis_server, "http://127.0.0.1:1").items() if k != "SAMEN_TWILIO_DELETE_AFTER"}
    assert Config.from_env(env).twilio_delete_after == 72  # a few days: crash recovery needs minutes
    assert Config.from_env({**env, "SAMEN_TWILIO_DELETE_AFTER": "0"}).twilio_delete_after == 0
    assert Config.from_env({"SAMEN_ENV": "development"}).twilio_delete_after == 0  # the stand-in's log
