"""Settings, read from the environment once, when the app or a worker is built."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from samen_sms.core import settings
from samen_sms.core.hours import parse_hours
from samen_sms.core.quiet import parse_quiet_hours
from samen_sms.core.settings import ConfigError as ConfigError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
# Twilio's documented test credentials shape; never a real account.
DEV_ACCOUNT_SID = "AC" + "0" * 32
DEV_AUTH_TOKEN = "dev-auth-token-not-secret"
DEV_SMS_FROM = "+447700900000"
DEV_WHATSAPP_FROM = "whatsapp:+447700900001"
DEV_SECRET_KEY = "development-only-secret-key-do-not-use"
# Hours of Twilio's message log kept at least: crash recovery and broadcast take-over look there.
MIN_DELETE_AFTER = 2
# Published in this repository: a production line must never run on them.
PUBLISHED_VALUES = {DEV_AUTH_TOKEN: "TWILIO_AUTH_TOKEN", DEV_SECRET_KEY: "SAMEN_SECRET_KEY"}


def _languages(env: Mapping[str, str]) -> tuple[str, ...]:
    codes = [code for item in settings.listed(env, "SAMEN_LANGUAGES") for code in item.split()]
    for code in codes:
        if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha() and code.islower()):
            raise ConfigError(f"SAMEN_LANGUAGES must list language codes such as nl,en,ar, not {code!r}")
    return tuple(dict.fromkeys(codes))


def _path(env: Mapping[str, str], name: str) -> Path | None:
    """A path as given (from the working directory), or the default's inside the checkout."""
    written = settings.path(env, name)
    if written is None:
        return None
    return Path(written) if env.get(name, "").strip() else ROOT / written


@dataclass(frozen=True)
class Config:
    """Everything the line needs to know about where it runs; defaults and help in `core/settings.py`."""

    redis_url: str | None
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_sms_from: str
    twilio_whatsapp_from: str
    twilio_messaging_service_sid: str | None
    twilio_api_url: str
    public_url: str
    secret_key: str
    data_key: str | None
    development: bool
    check_signatures: bool
    queue_name: str
    urgent_queue_name: str
    conversation_ttl: int
    profile_ttl: int
    dedup_ttl: int
    backup_days: int
    failed_job_ttl: int
    rate_limit_count: int
    rate_limit_window: int
    send_retries: int
    twilio_timeout: float
    twilio_settle: float
    account_mps: float
    sms_mps: float
    whatsapp_mps: float
    quiet_hours: str
    broadcast_threads: int
    broadcast_lease: int
    workers: int
    sends_per_worker: int
    worker_ttl: int
    health_max_wait: int
    new_numbers_per_minute: int
    new_numbers_per_country: int
    sweep_interval: int
    whatsapp_templates: Path | None
    trusted_proxies: int
    proxy_addresses: tuple[str, ...]
    allow_volatile_redis: bool
    redis_sentinels: tuple[tuple[str, int], ...]
    redis_sentinel_master: str | None
    redis_sentinel_password: str | None
    aof_rewrite_hours: float
    twilio_delete_after: float
    metrics_token: str | None
    console_session_hours: float
    log_format: str
    line_name: str
    languages: tuple[str, ...]
    instance_dir: Path
    handover_hours: str = "mon-fri 09:00-17:00"
    handover_reply_hours: int = 24
    handover_retention_days: int = 7
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    flows_dir: Path = field(default=ROOT / "flows")
    messages_dir: Path = field(default=ROOT / "messages")
    data_dir: Path = field(default=ROOT / "data")

    @property
    def status_callback_url(self) -> str:
        """Where Twilio reports delivery outcomes."""
        return self.public_url.rstrip("/") + "/twilio/status"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Read settings; refuse to start a production line that lacks a secret."""
        env = os.environ if env is None else env
        development = settings.text(env, "SAMEN_ENV").lower() in {"development", "dev"}
        token = settings.text(env, "TWILIO_AUTH_TOKEN")
        public_url = settings.text(env, "PUBLIC_URL")
        secret = settings.text(env, "SAMEN_SECRET_KEY")
        redis_url = settings.optional(env, "REDIS_URL")
        sentinels = _sentinels(env)
        sentinel_master = settings.optional(env, "REDIS_SENTINEL_MASTER")
        if sentinels and not sentinel_master:
            raise ConfigError("REDIS_SENTINELS is set: REDIS_SENTINEL_MASTER must name the primary Sentinel watches")
        if sentinels:
            # The primary is found through Sentinel; REDIS_URL, if given, carries its password, db and TLS.
            redis_url = redis_url or "redis://"
        account_sid = settings.text(env, "TWILIO_ACCOUNT_SID")
        sms_from = settings.text(env, "TWILIO_SMS_FROM")
        service_sid = settings.optional(env, "TWILIO_MESSAGING_SERVICE_SID")
        instance_dir = _path(env, "SAMEN_INSTANCE_DIR") or ROOT / "instance"
        whatsapp_from = settings.text(env, "TWILIO_WHATSAPP_FROM")
        check = True
        if development:
            token = token or DEV_AUTH_TOKEN
            public_url = public_url or "http://127.0.0.1:5000"
            # A per-process random key would split one person into many pseudonyms
            # across web and worker, so development uses a fixed, loudly fake key.
            secret = secret or DEV_SECRET_KEY
            check = settings.switch(env, "SAMEN_CHECK_SIGNATURES")
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
            twilio_api_url=settings.text(env, "TWILIO_API_URL"),
            public_url=public_url,
            secret_key=secret,
            data_key=settings.optional(env, "SAMEN_DATA_KEY"),
            development=development,
            check_signatures=check,
            queue_name=settings.text(env, "SAMEN_QUEUE"),
            urgent_queue_name=settings.text(env, "SAMEN_URGENT_QUEUE"),
            line_name=settings.text(env, "SAMEN_LINE_NAME"),
            conversation_ttl=settings.whole(env, "SAMEN_CONVERSATION_TTL"),
            profile_ttl=settings.whole(env, "SAMEN_PROFILE_TTL"),
            dedup_ttl=settings.whole(env, "SAMEN_DEDUP_TTL"),
            backup_days=settings.whole(env, "SAMEN_BACKUP_DAYS"),
            failed_job_ttl=settings.whole(env, "SAMEN_FAILED_JOB_TTL"),
            rate_limit_count=settings.whole(env, "SAMEN_RATE_LIMIT"),
            rate_limit_window=settings.whole(env, "SAMEN_RATE_WINDOW"),
            send_retries=settings.whole(env, "SAMEN_SEND_RETRIES"),
            twilio_timeout=settings.number(env, "SAMEN_TWILIO_TIMEOUT"),
            twilio_settle=settings.number(env, "SAMEN_TWILIO_SETTLE"),
            account_mps=settings.number(env, "SAMEN_ACCOUNT_MPS"),
            sms_mps=settings.number(env, "SAMEN_SMS_MPS"),
            whatsapp_mps=settings.number(env, "SAMEN_WHATSAPP_MPS"),
            quiet_hours=settings.text(env, "SAMEN_QUIET_HOURS"),
            broadcast_threads=settings.whole(env, "SAMEN_BROADCAST_THREADS"),
            broadcast_lease=settings.whole(env, "SAMEN_BROADCAST_LEASE"),
            workers=settings.whole(env, "SAMEN_WORKERS"),
            sends_per_worker=settings.whole(env, "SAMEN_SENDS_PER_WORKER"),
            worker_ttl=settings.whole(env, "SAMEN_WORKER_TTL"),
            health_max_wait=settings.whole(env, "SAMEN_HEALTH_MAX_WAIT"),
            new_numbers_per_minute=settings.whole(env, "SAMEN_NEW_NUMBERS_PER_MINUTE"),
            new_numbers_per_country=settings.whole(env, "SAMEN_NEW_NUMBERS_PER_COUNTRY"),
            sweep_interval=settings.whole(env, "SAMEN_SWEEP_INTERVAL"),
            trusted_proxies=settings.whole(env, "SAMEN_TRUSTED_PROXIES"),
            proxy_addresses=_proxy_addresses(env),
            instance_dir=instance_dir,
            whatsapp_templates=_path(env, "SAMEN_WHATSAPP_TEMPLATES"),
            languages=_languages(env),
            redis_sentinels=sentinels,
            redis_sentinel_master=sentinel_master,
            redis_sentinel_password=settings.optional(env, "REDIS_SENTINEL_PASSWORD"),
            allow_volatile_redis=settings.switch(env, "SAMEN_ALLOW_VOLATILE_REDIS"),
            aof_rewrite_hours=settings.number(env, "SAMEN_AOF_REWRITE_HOURS"),
            # On in production unless turned off (0): every reply says nobody reads the messages.
            # A local line's log is the stand-in's: there it is off unless set.
            twilio_delete_after=(
                0.0
                if development and not env.get("SAMEN_TWILIO_DELETE_AFTER")
                else settings.number(env, "SAMEN_TWILIO_DELETE_AFTER")
            ),
            metrics_token=settings.optional(env, "SAMEN_METRICS_TOKEN"),
            console_session_hours=settings.number(env, "SAMEN_CONSOLE_SESSION_HOURS"),
            log_format=settings.text(env, "SAMEN_LOG_FORMAT"),
            handover_hours=settings.text(env, "SAMEN_HANDOVER_HOURS"),
            handover_reply_hours=settings.whole(env, "SAMEN_HANDOVER_REPLY_HOURS"),
            handover_retention_days=settings.whole(env, "SAMEN_HANDOVER_RETENTION_DAYS"),
            smtp_host=settings.text(env, "SAMEN_SMTP_HOST"),
            smtp_port=settings.whole(env, "SAMEN_SMTP_PORT"),
            smtp_user=settings.text(env, "SAMEN_SMTP_USER"),
            smtp_password=settings.text(env, "SAMEN_SMTP_PASSWORD"),
            smtp_from=settings.text(env, "SAMEN_SMTP_FROM"),
        )
        if cfg.twilio_delete_after and cfg.twilio_delete_after < MIN_DELETE_AFTER:
            # Crash recovery asks Twilio whether an interrupted send arrived; those records must still be there.
            raise ConfigError(f"SAMEN_TWILIO_DELETE_AFTER must be 0 (off) or at least {MIN_DELETE_AFTER} hours")
        if cfg.twilio_whatsapp_from and not cfg.twilio_whatsapp_from.startswith("whatsapp:+"):
            # Twilio refuses every WhatsApp reply from a bare number (21910: From and To of different channels).
            raise ConfigError(
                f"TWILIO_WHATSAPP_FROM must be written whatsapp:+<number>, not {cfg.twilio_whatsapp_from!r}"
            )
        if cfg.metrics_token is not None and len(cfg.metrics_token) < 16:
            raise ConfigError("SAMEN_METRICS_TOKEN must be at least 16 characters long")
        try:
            parse_quiet_hours(cfg.quiet_hours)
        except ValueError as exc:
            raise ConfigError(f"SAMEN_QUIET_HOURS: {exc}") from exc
        try:
            parse_hours(cfg.handover_hours)
        except ValueError as exc:
            raise ConfigError(f"SAMEN_HANDOVER_HOURS: {exc}") from exc
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
    for part in settings.listed(env, "REDIS_SENTINELS"):
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"REDIS_SENTINELS: {part!r} is not host:port")
        found.append((host.strip("[]"), int(port)))
    return tuple(found)


def _proxy_addresses(env: Mapping[str, str]) -> tuple[str, ...]:
    """`SAMEN_PROXY_ADDRESSES`: each an IP address or network (`10.0.0.0/24`), as written."""
    found = []
    for part in settings.listed(env, "SAMEN_PROXY_ADDRESSES"):
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ConfigError(f"SAMEN_PROXY_ADDRESSES: {part!r} is not an IP address or network") from None
        found.append(part)
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
