"""The settings table: Config's defaults and refusals come from it, one setting at a time."""

from __future__ import annotations

import pytest

from samen_sms.core import settings
from samen_sms.core.config import Config, ConfigError
from samen_sms.core.settings import Kind
from tests.test_config import PRODUCTION

BOUNDED = [s for s in settings.SETTINGS if s.least is not None or s.above is not None]


def test_every_numeric_default_is_read_back_and_keeps_its_own_rule() -> None:
    for setting in settings.SETTINGS:
        if setting.kind is Kind.WHOLE:
            assert settings.whole({}, setting.name) == int(setting.default)
        elif setting.kind is Kind.NUMBER:
            assert settings.number({}, setting.name) == float(setting.default)


@pytest.mark.parametrize("setting", BOUNDED, ids=lambda setting: setting.name)
def test_a_value_out_of_range_is_refused_naming_that_setting_alone(setting: settings.Setting) -> None:
    lowest = setting.least if setting.least is not None else setting.above
    assert lowest is not None
    below = lowest - 1 if setting.kind is Kind.WHOLE else lowest - 0.5 if setting.least is not None else lowest
    written = str(int(below)) if setting.kind is Kind.WHOLE else str(below)
    with pytest.raises(ConfigError) as err:
        Config.from_env({**PRODUCTION, setting.name: written})
    assert str(err.value).startswith(f"{setting.name} must be")
    others = {s.name for s in BOUNDED} - {setting.name}
    assert not any(name in str(err.value) for name in others), err.value


def test_blank_quiet_hours_are_off_and_the_old_conversation_name_still_counts() -> None:
    assert Config.from_env(PRODUCTION).quiet_hours == "21:00-09:00"
    assert Config.from_env({**PRODUCTION, "SAMEN_QUIET_HOURS": " "}).quiet_hours == ""
    assert Config.from_env({**PRODUCTION, "SAMEN_SESSION_TTL": "99"}).conversation_ttl == 99
    both = {**PRODUCTION, "SAMEN_SESSION_TTL": "99", "SAMEN_CONVERSATION_TTL": "77"}
    assert Config.from_env(both).conversation_ttl == 77


def test_switches_keep_their_default_unless_clearly_turned() -> None:
    assert not Config.from_env(PRODUCTION).allow_volatile_redis
    assert Config.from_env({**PRODUCTION, "SAMEN_ALLOW_VOLATILE_REDIS": "1"}).allow_volatile_redis
    assert not Config.from_env({**PRODUCTION, "SAMEN_ALLOW_VOLATILE_REDIS": "maybe"}).allow_volatile_redis
    dev = {"SAMEN_ENV": "development", "PUBLIC_URL": "http://127.0.0.1:5000"}
    assert Config.from_env({**dev, "SAMEN_CHECK_SIGNATURES": "maybe"}).check_signatures
    assert not Config.from_env({**dev, "SAMEN_CHECK_SIGNATURES": "no"}).check_signatures


def test_every_setting_has_help_a_known_group_and_one_name() -> None:
    groups = {group for group, _ in settings.GROUPS}
    names = [s.name for s in settings.SETTINGS] + [alias for s in settings.SETTINGS for alias in s.aliases]
    assert len(names) == len(set(names))
    assert all(s.help and s.group in groups and "\n" not in s.help for s in settings.SETTINGS)
