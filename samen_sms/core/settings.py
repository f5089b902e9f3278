"""Every setting of the line, declared once: name, kind, default, production rule and one line of help.

`Config.from_env` reads its values through this table; `.env.example` and the settings table in
`docs/configuration.md` are printed from it (`python -m samen_sms.core.settings env-example` or
`markdown`), and a test keeps the committed files equal to what it prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar


class Kind(Enum):
    """What a setting holds, as the docs name it."""

    TEXT = "text"
    SECRET = "secret"
    URL = "URL"
    WHOLE = "whole number"
    NUMBER = "number"
    SWITCH = "1 or 0"
    PATH = "path"
    LIST = "comma-separated"


class ConfigError(RuntimeError):
    """The environment does not describe a line that can safely start."""


# A switch is on for these words (and off for the others) unless its default is on, when only these turn it off.
ON, OFF = frozenset({"1", "true", "yes"}), frozenset({"0", "false", "no"})


@dataclass(frozen=True)
class Setting:
    """One environment variable the line reads."""

    name: str
    kind: Kind
    default: str
    help: str
    group: str
    production: str = ""
    # Refused below `least` (inclusive) or at or below `above`: the check is the same in every mode.
    least: float | None = None
    above: float | None = None
    choices: tuple[str, ...] = ()
    # Set to an empty value, the setting is off (not its default).
    blank_is_off: bool = False
    # What .env.example shows when it is not the default (an example address, a placeholder).
    example: str | None = None
    # Knobs of local runs and tests stay out of .env.example, the production template.
    in_env_example: bool = True
    # Older names still read when the setting itself is unset.
    aliases: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        """What production (or every mode) demands of the value, in words."""
        rules = [self.production] if self.production else []
        if self.least is not None:
            rules.append(f"at least {self.least:g}")
        if self.above is not None:
            rules.append(f"above {self.above:g}")
        if self.choices:
            rules.append(" or ".join(self.choices))
        return "; ".join(rules)


GROUPS: tuple[tuple[str, str], ...] = (
    ("mode", "Production unless SAMEN_ENV says development (`make run` sets it for you)."),
    ("redis", "Redis: state and the RQ queues."),
    ("twilio", "Twilio: the account, the senders, and what the line asks of Twilio's API."),
    ("keys", 'Keys. Generate one: python -c "import secrets; print(secrets.token_urlsafe(32))"'),
    ("line", "The conversation: who runs the line, its languages, what it keeps and for how long."),
    ("workers", "Workers and queues."),
    ("announce", "Announcements of information sessions."),
    ("handover", "A person in your language: conversations handed to helpers (console accounts, helper permission)."),
    ("observe", "Metrics and logs."),
    ("console", "The operator console."),
)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SAMEN_ENV",
        Kind.TEXT,
        "production",
        "`production`, or `development`: local values filled in, a loud warning",
        "mode",
    ),
    Setting(
        "SAMEN_INSTANCE_DIR",
        Kind.PATH,
        "instance",
        "folder of the embedded Redis of `make run`, `make stop` and the flask commands (relative to the checkout)",
        "mode",
        in_env_example=False,
    ),
    Setting(
        "SAMEN_CHECK_SIGNATURES",
        Kind.SWITCH,
        "1",
        "`0` switches webhook signature checks off",
        "mode",
        production="always on; off only in development on a loopback PUBLIC_URL",
        in_env_example=False,
    ),
    Setting(
        "REDIS_URL",
        Kind.URL,
        "",
        "Redis for state and the queue, e.g. redis://127.0.0.1:6379/0 (rediss:// for TLS); unset in development: "
        "the embedded Redis `make run` starts",
        "redis",
        production="required, or REDIS_SENTINELS",
    ),
    Setting(
        "REDIS_SENTINELS",
        Kind.LIST,
        "",
        "find the primary through Sentinel: host:port,host:port",
        "redis",
        production="needs REDIS_SENTINEL_MASTER",
    ),
    Setting("REDIS_SENTINEL_MASTER", Kind.TEXT, "", "the name of the primary the sentinels watch", "redis"),
    Setting("REDIS_SENTINEL_PASSWORD", Kind.SECRET, "", "the sentinels' password, when they need one", "redis"),
    Setting(
        "SAMEN_ALLOW_VOLATILE_REDIS",
        Kind.SWITCH,
        "0",
        "`1` starts production on a Redis without the append-only file (with a warning)",
        "redis",
    ),
    Setting(
        "SAMEN_AOF_REWRITE_HOURS",
        Kind.NUMBER,
        "24",
        "hours between the workers' rewrites of Redis's append-only file, so erased data leaves the disk; 0 off",
        "redis",
    ),
    Setting(
        "TWILIO_ACCOUNT_SID",
        Kind.TEXT,
        "",
        "the Twilio account (console.twilio.com)",
        "twilio",
        production="required; not the development placeholder",
        example="AC" + "x" * 32,
    ),
    Setting(
        "TWILIO_AUTH_TOKEN",
        Kind.SECRET,
        "",
        "the account's auth token; it also checks webhook signatures",
        "twilio",
        production="required; not the published development value",
    ),
    Setting(
        "TWILIO_SMS_FROM",
        Kind.TEXT,
        "",
        "the SMS sender number",
        "twilio",
        production="required, or TWILIO_MESSAGING_SERVICE_SID",
        example="+447700900000",
    ),
    Setting(
        "TWILIO_MESSAGING_SERVICE_SID",
        Kind.TEXT,
        "",
        "send SMS through this Messaging Service instead",
        "twilio",
    ),
    Setting(
        "TWILIO_WHATSAPP_FROM",
        Kind.TEXT,
        "",
        "the WhatsApp sender (a bare number is refused: Twilio would refuse every reply from it, 21910)",
        "twilio",
        production="written whatsapp:+<number>",
        example="whatsapp:+447700900001",
    ),
    Setting(
        "TWILIO_API_URL",
        Kind.URL,
        "https://api.twilio.com",
        "Twilio's REST API; tests and `make run` point it at the stand-in",
        "twilio",
    ),
    Setting(
        "PUBLIC_URL",
        Kind.URL,
        "",
        "the base URL Twilio calls; signatures are checked against it plus the path, never the Host header",
        "twilio",
        production="required, https://",
        example="https://line.example.org",
    ),
    Setting(
        "SAMEN_SEND_RETRIES",
        Kind.WHOLE,
        "5",
        "attempts for a reply Twilio fails transiently (429, 5xx, timeout)",
        "twilio",
    ),
    Setting("SAMEN_TWILIO_TIMEOUT", Kind.NUMBER, "10", "seconds Twilio's API may take to answer", "twilio"),
    Setting(
        "SAMEN_ACCOUNT_MPS",
        Kind.NUMBER,
        "100",
        "sends per second for the whole Twilio account, replies and announcements, all workers together "
        "(Twilio refuses more with 429)",
        "twilio",
        above=0,
    ),
    Setting(
        "SAMEN_SMS_MPS",
        Kind.NUMBER,
        "10",
        "sends per second per SMS sender, replies and announcements, all workers together "
        "(a long code: about 10; a short code or a Messaging Service with more numbers: more)",
        "twilio",
        above=0,
    ),
    Setting(
        "SAMEN_WHATSAPP_MPS",
        Kind.NUMBER,
        "10",
        "sends per second per WhatsApp sender, replies and announcements, all workers together",
        "twilio",
        above=0,
    ),
    Setting(
        "SAMEN_TWILIO_SETTLE",
        Kind.NUMBER,
        "120",
        "seconds after an interrupted send (a timeout, a crash) before the line believes Twilio never "
        "took it and sends again; until then it looks again at Twilio's log",
        "twilio",
        above=0,
    ),
    Setting(
        "SAMEN_TWILIO_DELETE_AFTER",
        Kind.NUMBER,
        "72",
        "hours after which every message of the account is deleted from Twilio's log; 0 off "
        "(unset in development: off)",
        "twilio",
        production="0, or at least 2",
    ),
    Setting(
        "SAMEN_SECRET_KEY",
        Kind.SECRET,
        "",
        "keys pseudonyms, and the sealing of stored numbers unless SAMEN_DATA_KEY is set",
        "keys",
        production="required; 16 characters or more; not the published development value",
    ),
    Setting(
        "SAMEN_DATA_KEY", Kind.SECRET, "", "a separate key for stored numbers (a Fernet key or any long secret)", "keys"
    ),
    Setting(
        "SAMEN_LINE_NAME",
        Kind.TEXT,
        "SAMEN",
        "who runs the line, named as written in the text mediators forward, in every language",
        "line",
        production="no revealing word in its first 40 characters",
    ),
    Setting(
        "SAMEN_LANGUAGES",
        Kind.LIST,
        "",
        "languages offered, codes from flows/main.toml (nl,en,ar); empty: all; hold one back until reviewed",
        "line",
        production="language codes",
    ),
    Setting(
        "SAMEN_CONVERSATION_TTL",
        Kind.WHOLE,
        "1800",
        "seconds a person's place in the menus is kept after their last message",
        "line",
        aliases=("SAMEN_SESSION_TTL",),
    ),
    Setting(
        "SAMEN_PROFILE_TTL",
        Kind.WHOLE,
        "7776000",
        "seconds the chosen language is kept after the last message (90 days)",
        "line",
    ),
    Setting("SAMEN_DEDUP_TTL", Kind.WHOLE, "172800", "seconds a MessageSid is remembered (48 h)", "line"),
    Setting(
        "SAMEN_BACKUP_DAYS",
        Kind.WHOLE,
        "90",
        "days backups (`data export`) are kept: an erasure is remembered (keyed, never the number) that long, "
        "so a restored backup does not bring the person back",
        "line",
        least=1,
    ),
    Setting(
        "SAMEN_FAILED_JOB_TTL",
        Kind.WHOLE,
        "604800",
        "seconds a failed job is kept (7 days); results are never kept",
        "line",
    ),
    Setting(
        "SAMEN_RATE_LIMIT", Kind.WHOLE, "30", "messages per number per window before the line pauses for it", "line"
    ),
    Setting("SAMEN_RATE_WINDOW", Kind.WHOLE, "600", "seconds of one rate window", "line"),
    Setting(
        "SAMEN_TRUSTED_PROXIES",
        Kind.WHOLE,
        "0",
        "reverse proxies in front of the app that add X-Forwarded-For; never more than you run",
        "line",
        least=0,
    ),
    Setting(
        "SAMEN_PROXY_ADDRESSES",
        Kind.LIST,
        "127.0.0.1,::1",
        "addresses (or networks) the proxies connect from: only their X-Forwarded-* headers count, anyone "
        "else's are refused; in production a proxy must say https (X-Forwarded-Proto)",
        "line",
        production="IP addresses or networks",
    ),
    Setting(
        "SAMEN_WORKERS",
        Kind.WHOLE,
        "2",
        "worker processes `python -m workers` starts (the Procfile too); each sends SAMEN_SENDS_PER_WORKER at once",
        "workers",
        least=1,
    ),
    Setting(
        "SAMEN_SENDS_PER_WORKER",
        Kind.WHOLE,
        "32",
        "replies one worker process has in flight at once (threads, each waiting on Twilio's API)",
        "workers",
        least=1,
    ),
    Setting("SAMEN_WORKER_TTL", Kind.WHOLE, "40", "seconds of RQ's worker heartbeat", "workers", least=5),
    Setting(
        "SAMEN_HEALTH_MAX_WAIT",
        Kind.WHOLE,
        "60",
        "seconds the oldest reply owed or urgent job may wait before /healthz says degraded",
        "workers",
        least=1,
    ),
    Setting(
        "SAMEN_SWEEP_INTERVAL",
        Kind.WHOLE,
        "20",
        "seconds between the workers' sweeps for replies still owed",
        "workers",
        least=1,
    ),
    Setting(
        "SAMEN_NEW_NUMBERS_PER_MINUTE",
        Kind.WHOLE,
        "20",
        "first contacts a minute, all web workers together, whose reply goes on the urgent queue; "
        "past it the reply goes on the queue workers take last (help now and danger words always urgent)",
        "workers",
        least=1,
    ),
    Setting(
        "SAMEN_NEW_NUMBERS_PER_COUNTRY",
        Kind.WHOLE,
        "10",
        "of those, first contacts a minute from one country calling code",
        "workers",
        least=1,
    ),
    Setting("SAMEN_QUEUE", Kind.TEXT, "samen", "the RQ queue of replies", "workers"),
    Setting(
        "SAMEN_URGENT_QUEUE",
        Kind.TEXT,
        "samen-urgent",
        "the queue workers take first: the reply to a first message, help now",
        "workers",
    ),
    Setting(
        "SAMEN_QUIET_HOURS",
        Kind.TEXT,
        "21:00-09:00",
        "no announcement, reminder or notice in these hours (Europe/Amsterdam), as the opt-in says; empty: none",
        "announce",
        production="HH:MM-HH:MM",
        blank_is_off=True,
    ),
    Setting(
        "SAMEN_BROADCAST_THREADS", Kind.WHOLE, "16", "sends in flight inside one broadcast job", "announce", least=1
    ),
    Setting(
        "SAMEN_BROADCAST_LEASE",
        Kind.WHOLE,
        "60",
        "seconds before a killed broadcast job's claim runs out",
        "announce",
        least=2,
    ),
    Setting(
        "SAMEN_WHATSAPP_TEMPLATES",
        Kind.PATH,
        "",
        "approved WhatsApp templates per kind and language (see whatsapp_templates.example.toml)",
        "announce",
    ),
    Setting(
        "SAMEN_HANDOVER_HOURS",
        Kind.TEXT,
        "mon-fri 09:00-17:00",
        "when helpers answer (Europe/Amsterdam); outside them the line offers only the open lines; empty: any time",
        "handover",
        production="[days ]HH:MM-HH:MM",
        blank_is_off=True,
    ),
    Setting(
        "SAMEN_HANDOVER_REPLY_HOURS",
        Kind.WHOLE,
        "24",
        "hours within which the line says a helper usually writes back",
        "handover",
        least=1,
    ),
    Setting(
        "SAMEN_HANDOVER_RETENTION_DAYS",
        Kind.WHOLE,
        "7",
        "days a handed-over conversation (its sealed texts) is kept after its last message",
        "handover",
        least=1,
    ),
    Setting(
        "SAMEN_METRICS_TOKEN",
        Kind.SECRET,
        "",
        "GET /metrics answers this bearer token; empty: no /metrics",
        "observe",
        production="16 characters or more",
    ),
    Setting(
        "PROMETHEUS_MULTIPROC_DIR",
        Kind.PATH,
        "",
        "an empty folder per deployment where all processes of a host write their metrics",
        "observe",
    ),
    Setting("SAMEN_LOG_FORMAT", Kind.TEXT, "text", "`json`: one object per line", "observe", choices=("text", "json")),
    Setting(
        "SAMEN_CONSOLE_SESSION_HOURS",
        Kind.NUMBER,
        "12",
        "hours after signing in when a console session ends, however active (8 idle hours end it sooner)",
        "console",
        above=0,
    ),
    Setting(
        "SAMEN_SMTP_HOST",
        Kind.TEXT,
        "",
        "mail server telling helpers that a conversation is waiting (only that, and the console's link); "
        "empty: no e-mail, the count in the console's menu only",
        "console",
        example="smtp.example.org",
    ),
    Setting(
        "SAMEN_SMTP_PORT",
        Kind.WHOLE,
        "587",
        "the mail server's port (465: TLS from the start; else STARTTLS when offered)",
        "console",
        least=1,
    ),
    Setting("SAMEN_SMTP_USER", Kind.TEXT, "", "user name at the mail server; empty: no sign-in", "console"),
    Setting("SAMEN_SMTP_PASSWORD", Kind.SECRET, "", "password at the mail server", "console"),
    Setting(
        "SAMEN_SMTP_FROM",
        Kind.TEXT,
        "",
        "the sender of those e-mails (a neutral address)",
        "console",
        example="console@example.org",
    ),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


WORDS = (Kind.TEXT, Kind.SECRET, Kind.URL)
N = TypeVar("N", int, float)


def _raw(env: Mapping[str, str], name: str, *kinds: Kind) -> tuple[Setting, str]:
    """The setting and its value as written, stripped; its default when unset (or blank, unless blank is off)."""
    setting = BY_NAME[name]
    assert setting.kind in kinds, f"{name} is {setting.kind.value}, not {kinds[0].value}"
    for key in (name, *setting.aliases):
        if key in env and (env[key].strip() or (setting.blank_is_off and key == name)):
            return setting, env[key].strip()
    return setting, setting.default


def _bounded(setting: Setting, value: float, raw: str) -> None:
    if setting.least is not None and value < setting.least:
        raise ConfigError(f"{setting.name} must be at least {setting.least:g}, not {raw}")
    if setting.above is not None and value <= setting.above:
        raise ConfigError(f"{setting.name} must be above {setting.above:g}, not {raw}")


def text(env: Mapping[str, str], name: str) -> str:
    """A text, secret or URL setting ("" when unset without a default); lower case when it is a choice."""
    setting, raw = _raw(env, name, *WORDS)
    if setting.kind is Kind.URL:
        raw = raw.rstrip("/")
    if setting.choices:
        raw = raw.lower()
        if raw not in setting.choices:
            raise ConfigError(f"{name} must be {' or '.join(setting.choices)}, not {raw!r}")
    return raw


def optional(env: Mapping[str, str], name: str) -> str | None:
    """A text, secret or URL setting, None when unset."""
    return text(env, name) or None


def whole(env: Mapping[str, str], name: str) -> int:
    """A whole-number setting, within its bounds."""
    return _measure(env, name, Kind.WHOLE, int, "a whole number")


def number(env: Mapping[str, str], name: str) -> float:
    """A number setting, within its bounds."""
    return _measure(env, name, Kind.NUMBER, float, "a number")


def _measure(env: Mapping[str, str], name: str, kind: Kind, read: Callable[[str], N], what: str) -> N:
    setting, raw = _raw(env, name, kind)
    try:
        value = read(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be {what}, not {raw!r}") from exc
    _bounded(setting, value, raw)
    return value


def switch(env: Mapping[str, str], name: str) -> bool:
    """A 1-or-0 setting: one that is on by default goes off only for 0/false/no, and the reverse."""
    setting, raw = _raw(env, name, Kind.SWITCH)
    return raw not in OFF if setting.default in ON else raw in ON


def listed(env: Mapping[str, str], name: str) -> list[str]:
    """A comma-separated setting as its items."""
    _, raw = _raw(env, name, Kind.LIST)
    return [item.strip() for item in raw.split(",") if item.strip()]


def path(env: Mapping[str, str], name: str) -> str | None:
    """A path setting as written (the caller resolves it), or None when unset."""
    _, raw = _raw(env, name, Kind.PATH)
    return raw or None


def env_example() -> str:
    """The text of `.env.example`: every production setting with its default or an example, by group."""
    lines = [
        "# The settings of a real line, generated by `python -m samen_sms.core.settings env-example`",
        "# (docs/configuration.md explains them). Set them in your host's environment. A Procfile runner",
        "# (honcho, foreman, a Heroku-like host) reads them from a .env file: copy this one to .env, never",
        "# commit it. `make run`, gunicorn, `python -m workers` and the flask commands do not read .env.",
        "# `make run` needs none of these.",
    ]
    for group, title in GROUPS:
        lines += ["", f"# {title}"]
        for setting in SETTINGS:
            if setting.group != group or not setting.in_env_example:
                continue
            rule = f" (rule: {setting.rule})" if setting.rule else ""
            value = setting.example if setting.example is not None else setting.default
            lines += [f"# {setting.help}{rule}", f"{setting.name}={value}"]
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """The settings table of docs/configuration.md."""
    rows = ["| setting | kind | default | rule | what it does |", "|---|---|---|---|---|"]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "unset"
        names = f"`{setting.name}`" + "".join(f" (old name `{alias}`)" for alias in setting.aliases)
        rule = setting.rule.replace("|", "\\|")
        rows.append(f"| {names} | {setting.kind.value} | {default} | {rule} | {setting.help} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Print `.env.example` or the docs' settings table."""
    parser = argparse.ArgumentParser(prog="python -m samen_sms.core.settings", description=main.__doc__)
    parser.add_argument("what", choices=("env-example", "markdown"))
    args = parser.parse_args(argv)
    sys.stdout.write(env_example() if args.what == "env-example" else markdown() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
