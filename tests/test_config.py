"""Configuration: production refuses to start without its secrets; development says so loudly."""

from __future__ import annotations

import pytest

from samen_sms.app import create_app
from samen_sms.config import Config, ConfigError


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
    production = Config.from_env(
        {
            "TWILIO_AUTH_TOKEN": "t",
            "PUBLIC_URL": "https://line.example.org",
            "SAMEN_SECRET_KEY": "s" * 32,
            "SAMEN_CHECK_SIGNATURES": "0",
        }
    )
    assert production.check_signatures


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
