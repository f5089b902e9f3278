"""Settings, read from the environment once, when the app or a worker is built."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from samen_sms.core.quiet import parse_quiet_hours

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_URL = "https://api.twilio.com"
# Twilio's documented test credentials shape; never a real account.
DEV_ACCOUNT_SID = "AC" + "0" * 32
DEV_AUTH_TOKEN = "dev-auth-token-not-secret"
DEV_SMS_FROM = "+447700900000"
DEV_WHATSAPP_FROM = "whatsapp:+447700900001"
DEV_SECRET_KEY = "development-only-secret-key-do-not-use"
# Published in this repository: a production line must never run on them.
# Hours of Twilio's message log kept at least: crash recovery and broadcast take-over look there.
MIN_DELETE_AFTER = 2
PUBLISHED_VALUES = {DEV_AUTH_TOKEN: "TWILIO_AUTH_TOKEN", DEV_SECRET_KEY: "SAMEN_SECRET_KEY"}


class ConfigError(RuntimeError):
    """The environment does not describe a line that can safely start."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _languages(env: Mapping[str, str]) -> tuple[str, ...]:
    # SAMEN_LANGUAGES: the language codes the line offers, comma-separated; empty means every one.
    raw = env.get("SAMEN_LANGUAGES", "").replace(",", " ").split()
    for code in raw:
        if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha() and code.islower()):
            raise ConfigError(f"SAMEN_LANGUAGES must list language codes such as nl,en,ar, not {code!r}")
    return tuple(dict.fromkeys(raw))


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc


@dataclass(frozen=True)
class Config:
    """Everything the line needs to know about where it runs."""

    redis_url: str | None
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_sms_from: str
    twilio_whatsapp_from: str
    twilio_messaging_service_sid: str | None
    twilio_api_url: str
    public_url: str
    secret_key: str
    data_key: str | None = None
    development: bool = False
    check_signatures: bool = True
    queue_name: str = "samen"
    urgent_queue_name: str = "samen-urgent"
    conversation_ttl: int = 30 * 60
    profile_ttl: int = 90 * 24 * 3600
    dedup_ttl: int = 48 * 3600
    failed_job_ttl: int = 7 * 24 * 3600
    rate_limit_count: int = 30
    rate_limit_window: int = 10 * 60
    send_retries: int = 5
    twilio_timeout: float = 10.0
    sms_mps: float = 10.0
    whatsapp_mps: float = 10.0
    quiet_hours: str = "21:00-09:00"
    broadcast_threads: int = 16
    broadcast_lease: int = 60
    workers: int = 2
    worker_ttl: int = 40
    sweep_interval: int = 20
    whatsapp_templates: Path | None = None
    # Reverse proxies in front of the app that set X-Forwarded-For (0: none, REMOTE_ADDR is the client).
    trusted_proxies: int = 0
    allow_volatile_redis: bool = False
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str | None = None
    redis_sentinel_password: str | None = None
    aof_rewrite_hours: float = 24.0
    twilio_delete_after: float = 0.0
    metrics_token: str | None = None
    log_format: str = "text"
    # Who runs the line, named in the text people forward (in every language).
    line_name: str = "SAMEN"
    # Languages the line offers (codes from flows/main.toml); empty: every language the flow has.
    languages: tuple[str, ...] = ()
    flows_dir: Path = field(default=ROOT / "flows")
    messages_dir: Path = field(default=ROOT / "messages")
    data_dir: Path = field(default=ROOT / "data")
    instance_dir: Path = field(default=ROOT / "instance")

    @property
    def status_callback_url(self) -> str:
        """Where Twilio reports delivery outcomes."""
        return self.public_url.rstrip("/") + "/twilio/status"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Read settings; refuse to start a production line that lacks a secret."""
        env = os.environ if env is None else env
        development = env.get("SAMEN_ENV", "production").strip().lower() in {"development", "dev"}
        token = env.get("TWILIO_AUTH_TOKEN", "").strip()
        public_url = env.get("PUBLIC_URL", "").strip().rstrip("/")
        secret = env.get("SAMEN_SECRET_KEY", "").strip()
        redis_url = env.get("REDIS_URL", "").strip() or None
        sentinels = _sentinels(env)
        sentinel_master = env.get("REDIS_SENTINEL_MASTER", "").strip() or None
        if sentinels and not sentinel_master:
            raise ConfigError("REDIS_SENTINELS is set: REDIS_SENTINEL_MASTER must name the primary Sentinel watches")
        if sentinels:
            # The primary is found through Sentinel; REDIS_URL, if given, carries its password, db and TLS.
            redis_url = redis_url or "redis://"
        account_sid = env.get("TWILIO_ACCOUNT_SID", "").strip()
        sms_from = env.get("TWILIO_SMS_FROM", "").strip()
        service_sid = env.get("TWILIO_MESSAGING_SERVICE_SID", "").strip() or None
        instance_dir = Path(env["SAMEN_INSTANCE_DIR"]) if env.get("SAMEN_INSTANCE_DIR") else ROOT / "instance"
        whatsapp_from = env.get("TWILIO_WHATSAPP_FROM", "").strip()
        check = True
        if development:
            token = token or DEV_AUTH_TOKEN
            public_url = public_url or "http://127.0.0.1:5000"
            # A per-process random key would split one person into many pseudonyms
            # across web and worker, so development uses a fixed, loudly fake key.
            secret = secret or DEV_SECRET_KEY
            check = env.get("SAMEN_CHECK_SIGNATURES", "1").strip() not in {"0", "false", "no"}
            account_sid = account_sid or DEV_ACCOUNT_SID
            sms_from = sms_from or DEV_SMS_FROM
            whatsapp_from = whatsapp_from or DEV_WHATSAPP_FROM
            redis_url = redis_url or _embedded_redis_url(instance_dir)
        else:
            _refuse_unsafe_production(token, public_url, secret, redis_url, account_sid, sms_from, service_sid)
        cfg = cls(
            redis_url=redis_url,
            twilio_account_sid=account_sid,
            twilio_auth_token=token,
            twilio_sms_from=sms_from,
            twilio_whatsapp_from=whatsapp_from,
            twilio_messaging_service_sid=service_sid,
            twilio_api_url=env.get("TWILIO_API_URL", "").strip().rstrip("/") or DEFAULT_API_URL,
            public_url=public_url,
            secret_key=secret,
            data_key=env.get("SAMEN_DATA_KEY", "").strip() or None,
            development=development,
            check_signatures=check,
            queue_name=env.get("SAMEN_QUEUE", "").strip() or "samen",
            urgent_queue_name=env.get("SAMEN_URGENT_QUEUE", "").strip() or "samen-urgent",
            line_name=env.get("SAMEN_LINE_NAME", "").strip() or "SAMEN",
            conversation_ttl=_int(env, "SAMEN_CONVERSATION_TTL", _int(env, "SAMEN_SESSION_TTL", 30 * 60)),
            profile_ttl=_int(env, "SAMEN_PROFILE_TTL", 90 * 24 * 3600),
            dedup_ttl=_int(env, "SAMEN_DEDUP_TTL", 48 * 3600),
            failed_job_ttl=_int(env, "SAMEN_FAILED_JOB_TTL", 7 * 24 * 3600),
            rate_limit_count=_int(env, "SAMEN_RATE_LIMIT", 30),
            rate_limit_window=_int(env, "SAMEN_RATE_WINDOW", 10 * 60),
            send_retries=_int(env, "SAMEN_SEND_RETRIES", 5),
            twilio_timeout=_float(env, "SAMEN_TWILIO_TIMEOUT", 10.0),
            sms_mps=_float(env, "SAMEN_SMS_MPS", 10.0),
            whatsapp_mps=_float(env, "SAMEN_WHATSAPP_MPS", 10.0),
            quiet_hours=env.get("SAMEN_QUIET_HOURS", "21:00-09:00").strip(),
            broadcast_threads=_int(env, "SAMEN_BROADCAST_THREADS", 16),
            broadcast_lease=_int(env, "SAMEN_BROADCAST_LEASE", 60),
            workers=_int(env, "SAMEN_WORKERS", 2),
            worker_ttl=_int(env, "SAMEN_WORKER_TTL", 40),
            sweep_interval=_int(env, "SAMEN_SWEEP_INTERVAL", 20),
            trusted_proxies=_int(env, "SAMEN_TRUSTED_PROXIES", 0),
            instance_dir=instance_dir,
            whatsapp_templates=Path(env["SAMEN_WHATSAPP_TEMPLATES"]) if env.get("SAMEN_WHATSAPP_TEMPLATES") else None,
            languages=_languages(env),
            redis_sentinels=sentinels,
            redis_sentinel_master=sentinel_master,
            redis_sentinel_password=env.get("REDIS_SENTINEL_PASSWORD", "").strip() or None,
            allow_volatile_redis=env.get("SAMEN_ALLOW_VOLATILE_REDIS", "").strip() in {"1", "true", "yes"},
            aof_rewrite_hours=_float(env, "SAMEN_AOF_REWRITE_HOURS", 24.0),
            twilio_delete_after=_float(env, "SAMEN_TWILIO_DELETE_AFTER", 0.0),
            metrics_token=env.get("SAMEN_METRICS_TOKEN", "").strip() or None,
            log_format=env.get("SAMEN_LOG_FORMAT", "text").strip().lower() or "text",
        )
        if cfg.workers < 1 or cfg.worker_ttl < 5 or cfg.sweep_interval < 1:
            raise ConfigError("SAMEN_WORKERS, SAMEN_WORKER_TTL (5 s or more) and SAMEN_SWEEP_INTERVAL must be positive")
        if cfg.sms_mps <= 0 or cfg.whatsapp_mps <= 0:
            raise ConfigError("SAMEN_SMS_MPS and SAMEN_WHATSAPP_MPS must be above 0")
        if cfg.broadcast_threads < 1 or cfg.broadcast_lease < 2:
            raise ConfigError("SAMEN_BROADCAST_THREADS must be at least 1 and SAMEN_BROADCAST_LEASE at least 2")
        if cfg.trusted_proxies < 0:
            raise ConfigError("SAMEN_TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies in front")
        if cfg.twilio_delete_after and cfg.twilio_delete_after < MIN_DELETE_AFTER:
            # Crash recovery asks Twilio whether an interrupted send arrived; those records must still be there.
            raise ConfigError(f"SAMEN_TWILIO_DELETE_AFTER must be 0 (off) or at least {MIN_DELETE_AFTER} hours")
        if cfg.twilio_whatsapp_from and not cfg.twilio_whatsapp_from.startswith("whatsapp:+"):
            # Twilio refuses every WhatsApp reply from a bare number (21910: From and To of different channels).
            raise ConfigError(
                f"TWILIO_WHATSAPP_FROM must be written whatsapp:+<number>, not {cfg.twilio_whatsapp_from!r}"
            )
        if cfg.log_format not in {"text", "json"}:
            raise ConfigError(f"SAMEN_LOG_FORMAT must be text or json, not {cfg.log_format!r}")
        if cfg.metrics_token is not None and len(cfg.metrics_token) < 16:
            raise ConfigError("SAMEN_METRICS_TOKEN must be at least 16 characters long")
        try:
            parse_quiet_hours(cfg.quiet_hours)
        except ValueError as exc:
            raise ConfigError(f"SAMEN_QUIET_HOURS: {exc}") from exc
        if development:
            log.warning(
                "DEVELOPMENT MODE: local secrets filled in%s. Never use this mode for a real line.",
                "" if check else ", signature checks OFF",
            )
        return cfg


def _refuse_unsafe_production(
    token: str,
    public_url: str,
    secret: str,
    redis_url: str | None,
    account_sid: str,
    sms_from: str,
    service_sid: str | None,
) -> None:
    """Raise ConfigError naming the first setting a production line cannot safely run without."""
    missing = [
        name
        for name, value in (
            ("TWILIO_AUTH_TOKEN", token),
            ("PUBLIC_URL", public_url),
            ("SAMEN_SECRET_KEY", secret),
            # An embedded Redis per host would put web and workers in different worlds.
            ("REDIS_URL or REDIS_SENTINELS", redis_url),
            ("TWILIO_ACCOUNT_SID", account_sid),
            ("TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID", sms_from or service_sid),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            "Refusing to start: "
            + ", ".join(missing)
            + " must be set in production (or set SAMEN_ENV=development for a local run)."
        )
    for value, name in PUBLISHED_VALUES.items():
        if value in (token, secret):
            raise ConfigError(f"Refusing to start: {name} is the published development value; set a real one.")
    if account_sid == DEV_ACCOUNT_SID:
        raise ConfigError("Refusing to start: TWILIO_ACCOUNT_SID is the development placeholder; set your account's.")
    if len(secret) < 16:
        raise ConfigError("SAMEN_SECRET_KEY must be at least 16 characters long.")
    if not public_url.startswith("https://"):
        raise ConfigError("Refusing to start: PUBLIC_URL must be an https:// address in production.")


def _sentinels(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """`REDIS_SENTINELS=host:port,host:port` as (host, port) pairs."""
    found = []
    for part in env.get("REDIS_SENTINELS", "").split(","):
        if not part.strip():
            continue
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"REDIS_SENTINELS: {part.strip()!r} is not host:port")
        found.append((host.strip("[]"), int(port)))
    return tuple(found)


def _embedded_redis_url(instance_dir: Path) -> str | None:
    """In development, the embedded Redis that `make run` started for this checkout, if any.

    `samen_sms.devtools.embedded_redis` writes its port to `instance/redis/port`; reading that file
    (rather than importing the dev tool) keeps development tools out of production code.
    """
    try:
        port = int((instance_dir / "redis" / "port").read_text().strip())
    except (OSError, ValueError):
        return None
    return f"redis://127.0.0.1:{port}/0"


def random_secret() -> str:
    """A fresh secret for `.env` files."""
    return secrets.token_urlsafe(32)
