"""'Someone from your community': migrant organisations and mediators by region and language, honestly empty."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.content.community import load_community
from samen_sms.content.directory import DirectoryError
from samen_sms.content.places import load_places
from samen_sms.core.config import Config
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from samen_sms.reach import redis_keys as reach_keys
from tests.conftest import ALICE, BOB, ROOT, PostFn, inbound, sent_to, with_config

# Fictional organisations, for these tests only: the shipped directory lists none.
ENTRIES = """
[[service]]
kind = "community"
id = "test_amsterdam"
name = "Stichting Voorbeeld Amsterdam"
languages = ["en", "ar"]
regions = ["VR13"]
phone = "020-0000000"
offers = "Listening, going along to appointments"
listed = 2026-11-01
source = "https://example.org/voorbeeld"
verified = 2026-11-01

[[service]]
kind = "community"
id = "test_national"
name = "Vereniging Voorbeeld"
languages = ["en"]
regions = ["NL"]
whatsapp = "+447700900777"
listed = 2026-11-01
source = "https://example.org/vereniging"
verified = 2026-11-01

[[service]]
kind = "community"
id = "test_arabic_only"
name = "Jam'iyya Voorbeeld"
languages = ["ar"]
regions = ["VR13", "NL"]
web = "example.org/jamiyya"
listed = 2026-11-01
source = "https://example.org/jamiyya"
verified = 2026-11-01
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    with (target / "services.toml").open("a", encoding="utf-8") as handle:
        handle.write(ENTRIES)
    return target


@pytest.fixture
def app(config: Config, data_dir: Path) -> Iterator[Flask]:
    cfg = with_config(config, data_dir=data_dir)
    application = create_app({"TESTING": True}, config=cfg)
    with replies.using(worker_context(cfg)):
        yield application


def conversation(post: PostFn, work: Callable[[], None], standin: StandinState, who: str, *bodies: str) -> str:
    for body in bodies:
        post(inbound(who, body))
    work()
    return sent_to(standin, who)[-1]


def test_shipped_directory_lists_no_invented_organisation() -> None:
    places = load_places(ROOT / "data" / "nl-municipalities.csv")
    assert load_community(ROOT / "data" / "services.toml", places.regions) == ()


def test_community_screen_lists_the_region_in_the_persons_language_then_national(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    prompt = conversation(post, work, standin, ALICE, "hi", "1", "2", "9")
    assert prompt.startswith("Organisations and mediators from migrant communities")
    screen = conversation(post, work, standin, ALICE, "Amsterdam")
    assert screen.split("\n") == [
        "From communities near you, in your language:",
        "Stichting Voorbeeld Amsterdam 020-0000000",
        "Listening, going along to appointments (English, العربية)",
        "For the whole country:",
        "Vereniging Voorbeeld WhatsApp +447700900777",
        "(English)",
        "0 Menu - 112 Danger now",
    ]
    elsewhere = conversation(post, work, standin, ALICE, "Groningen")
    assert "Stichting Voorbeeld Amsterdam" not in elsewhere and "Vereniging Voorbeeld" in elsewhere
    unknown = conversation(post, work, standin, ALICE, "Atlantis")
    assert unknown.startswith("I do not know that place. For the whole country:")
    # On WhatsApp the organisation's WhatsApp is a link.
    wa = "whatsapp:" + BOB
    assert "wa.me/447700900777" in conversation(post, work, standin, wa, "hi", "1", "2", "9", "1")


def test_a_misspelt_town_at_the_community_prompt_is_asked_about_then_listed(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    conversation(post, work, standin, ALICE, "hi", "1", "2", "9")
    assert conversation(post, work, standin, ALICE, "Amsterdm").startswith("Did you mean Amsterdam?\n1 Yes")
    screen = conversation(post, work, standin, ALICE, "1")
    assert "Stichting Voorbeeld Amsterdam 020-0000000" in screen.split("\n")
    in_a_sentence = conversation(post, work, standin, ALICE, "0", "2", "9", "we live in Amsterdam now")
    assert "Stichting Voorbeeld Amsterdam 020-0000000" in in_a_sentence.split("\n")


def test_community_screen_says_honestly_when_there_is_nobody_yet(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    screen = conversation(post, work, standin, ALICE, "salaan", "1", "2", "9", "Amsterdam")
    lines = screen.split("\n")
    assert lines[0].startswith("Weli ma jiro urur bulsho")
    assert "Veilig Thuis 0800-2000" in lines and lines[-1].startswith("0 ")


def test_listing_checks_fields_and_adds_the_entry_with_its_code(
    app: Flask, config: Config, data_dir: Path, redis_conn: redis.Redis
) -> None:
    runner = app.test_cli_runner()
    base = ["mediators", "add", "Stichting Nieuw", "--languages", "ti", "--region", "Utrecht", "--list"]
    refused = runner.invoke(args=[*base, "--source", "https://example.org/nieuw", "--phone", "030-0000000"])
    assert refused.exit_code != 0 and "'consented'" in refused.output
    no_way = runner.invoke(args=[*base, "--consented", "2026-11-20", "--source", "https://example.org/nieuw"])
    assert no_way.exit_code != 0 and "no phone, whatsapp or web" in no_way.output
    assert not redis_conn.exists(reach_keys.MEDIATORS())
    done = runner.invoke(
        args=[*base, "--consented", "2026-11-20", "--source", "https://example.org/nieuw", "--phone", "030-0000000"]
    )
    assert done.exit_code == 0, done.output
    code = done.output.strip().splitlines()[-1]
    places = load_places(data_dir / "nl-municipalities.csv")
    (added,) = [c for c in load_community(data_dir / "services.toml", places.regions) if c.name == "Stichting Nieuw"]
    assert added.code == code and added.regions == ("VR09",) and str(added.listed) == "2026-11-20"


def test_a_community_entry_without_its_consent_date_stops_the_line(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(ENTRIES.replace("listed = 2026-11-01\n", "", 1), encoding="utf-8")
    places = load_places(ROOT / "data" / "nl-municipalities.csv")
    with pytest.raises(DirectoryError, match="has no listed"):
        load_community(path, places.regions)
