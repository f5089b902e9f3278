"""Places as people type them: postcodes, villages, near misses, shared names, cities in other scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from flask import Flask

from samen_sms.announce.sessions import SessionFileError, parse_session
from samen_sms.content.catalogue import CatalogueError, load_catalogue
from samen_sms.content.engine import Content, Message, Visit, step
from samen_sms.content.hints import PlaceAsked, RegionChosen
from samen_sms.content.places import Places, load_places
from samen_sms.content.postcodes import PlaceDataError
from samen_sms.content.replies import Msg, PlacePick, Services
from samen_sms.content.said import Said
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from tests.conftest import ALICE, PostFn, content_of, inbound, sent_to

DATA = Path(__file__).resolve().parent.parent / "data"
AMSTERDAM, HAARLEMMERMEER, DEN_HAAG = "GM0363", "GM0394", "GM0518"
BERGEN_NH, BERGEN_L = "GM0373", "GM0893"


@pytest.fixture(scope="module")
def content() -> Content:
    return content_of(Config.from_env({"SAMEN_ENV": "development"}))


@pytest.fixture(scope="module")
def places(content: Content) -> Places:
    return content.places  # type: ignore[no-any-return]


def codes(places: Places, typed: str) -> tuple[tuple[str, ...], bool] | None:
    found = places.read(Said.read(typed))
    return (found.codes, found.sure) if found else None


@pytest.mark.parametrize("typed", ["1012", "1012 AB", "1012ab", "1012-AB", " 1012 ab. ", "١٠١٢", "۱۰۱۲ AB"])
def test_a_postcode_in_any_form_is_its_municipality(places: Places, typed: str) -> None:
    assert codes(places, typed) == ((AMSTERDAM,), True)


def test_a_postcode_that_does_not_exist_is_not_guessed(places: Places) -> None:
    assert codes(places, "0999") is None
    assert codes(places, "10123") is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [("Hoofddorp", HAARLEMMERMEER), ("Schoorl", BERGEN_NH), ("Egmond aan Zee", BERGEN_NH), ("Weesp", AMSTERDAM)],
)
def test_a_village_is_its_municipality_today(places: Places, typed: str, code: str) -> None:
    assert codes(places, typed) == ((code,), True)


@pytest.mark.parametrize(
    ("typed", "meant"), [("Amsterdm", "amsterdam"), ("Rotterdm", "rotterdam"), ("Hoofdorp", "hoofddorp")]
)
def test_a_near_miss_is_a_guess_to_confirm(places: Places, typed: str, meant: str) -> None:
    found = places.read(Said.read(typed))
    assert found is not None and not found.sure and found.key == meant


@pytest.mark.parametrize("typed", ["nee", "okay", "thanks", "dank je", "ik weet het niet", "help me", "Atlantis"])
def test_ordinary_words_are_not_taken_for_places(places: Places, typed: str) -> None:
    assert places.read(Said.read(typed)) is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ik woon in Den Haag", DEN_HAAG),
        ("I live near Hoofddorp, thank you", HAARLEMMERMEER),
        ("we wonen in Alphen aan den Rijn", "GM0484"),  # the longest name, not Alphen or Rijn
        ("ik woon in 's-Hertogenbosch.", "GM0796"),
        ("Amsterdam'da yaşıyorum", AMSTERDAM),  # Turkish: "I live in Amsterdam"
        ("أعيش في أمستردام", AMSTERDAM),
        ("mijn postcode is 1012 AB", AMSTERDAM),
        ("sinds 2019 in Den Haag", DEN_HAAG),  # 2019 is a postcode in Haarlem: names come first
        ("ik woon in Best", "GM0753"),  # a municipality keeps its name even where it is a word
        ("Я живу в Гааге", DEN_HAAG),  # Russian declines the name: Гаага, в Гааге
        ("из Роттердама", "GM0599"),
        ("Я живу в Амстердамі", AMSTERDAM),  # Ukrainian
        ("Гааге", DEN_HAAG),
    ],
)
def test_a_place_inside_a_sentence_is_found(places: Places, typed: str, code: str) -> None:
    assert codes(places, typed) == ((code,), True)


@pytest.mark.parametrize(
    "typed", ["ik weet het echt niet", "ik woon in Nederland", "we wonen in de wijk", "dat is heel fijn", "I am well"]
)
def test_everyday_words_that_are_villages_are_words_inside_a_sentence(places: Places, typed: str) -> None:
    assert places.read(Said.read(typed)) is None


def test_everyday_words_that_are_villages_are_the_village_when_typed_alone(places: Places) -> None:
    echt, een = codes(places, "Echt"), codes(places, "Een")
    assert echt is not None and echt[1] and een is not None and een[1]


def test_a_name_in_two_municipalities_lists_both_its_own_first(places: Places) -> None:
    assert codes(places, "Bergen") == ((BERGEN_NH, BERGEN_L), True)
    assert codes(places, "Bergen (L.)") == ((BERGEN_L,), True)
    hoorn = codes(places, "Hoorn")
    assert hoorn is not None and hoorn[0][0] == "GM0405"  # the town of Hoorn before the village on Terschelling


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("امستردام", AMSTERDAM),
        ("أمستردام", AMSTERDAM),
        ("روتردام", "GM0599"),
        ("لاهاي", DEN_HAAG),
        ("لاهه", DEN_HAAG),
        ("Амстердам", AMSTERDAM),
        ("Гаага", DEN_HAAG),
        ("ኣምስተርዳም", AMSTERDAM),
        ("The Hague", DEN_HAAG),
        ("Lahey", DEN_HAAG),
    ],
)
def test_cities_are_known_as_their_communities_write_them(places: Places, typed: str, code: str) -> None:
    assert codes(places, typed) == ((code,), True)


def test_every_catalogue_names_the_twenty_largest_cities_it_writes_in_its_own_script(content: Content) -> None:
    for locale in ("ar", "fa", "uk", "ti"):
        assert len(content.catalogues[locale].places) == 20, locale


def test_a_miss_over_every_name_takes_well_under_a_millisecond(places: Places) -> None:
    said = Said.read("Xylofoonstraat")
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        assert places.guess(said) is None
        timings.append(time.perf_counter() - start)
    assert len(places.keys) > 2500
    assert statistics.median(timings) < 0.002


def test_postcodes_for_an_unknown_municipality_are_refused_by_line(tmp_path: Path) -> None:
    path = tmp_path / "nl-postcodes.csv"
    path.write_text("pc4,place,gm_code\n1011,Amsterdam,GM0363\n1012,Nergens,GM9999\n", encoding="utf-8")
    with pytest.raises(PlaceDataError, match="line 3: municipality 'GM9999'"):
        load_places(DATA / "nl-municipalities.csv", path)


def test_names_for_an_unknown_municipality_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PlaceDataError, match="'GM9999', which is not a municipality"):
        load_places(DATA / "nl-municipalities.csv", None, {"GM9999": ["Atlantis"]})
    catalogue = (DATA.parent / "messages" / "en.toml").read_text(encoding="utf-8")
    path = tmp_path / "en.toml"
    path.write_text(catalogue.replace('GM0518 = ["The Hague", "Hague"]', 'GM0518 = "The Hague"'), encoding="utf-8")
    with pytest.raises(CatalogueError, match="places.GM0518 must be a list of names"):
        load_catalogue(path)


def test_the_services_prompt_asks_about_a_near_miss_and_remembers_only_the_known_name(content: Content) -> None:
    asked = step(content, Visit("services_place", "en"), Message.of("Amsterdm", Channel.SMS))
    assert (asked.node, asked.hint) == ("services_place_pick", PlaceAsked("amsterdam"))
    assert asked.replies == (PlacePick("amsterdam"),)
    yes = step(content, Visit(asked.node, "en", asked.hint), Message.of("1", Channel.SMS))
    assert (yes.node, yes.replies) == ("services_place", (Services(AMSTERDAM),))
    dutch_yes = step(content, Visit(asked.node, "nl", asked.hint), Message.of("Ja!", Channel.WHATSAPP))
    assert dutch_yes.replies == (Services(AMSTERDAM),)
    typed_again = step(content, Visit(asked.node, "en", asked.hint), Message.of("Hoofddorp", Channel.SMS))
    assert typed_again.replies == (Services(HAARLEMMERMEER),)
    not_offered = step(content, Visit(asked.node, "en", asked.hint), Message.of("2", Channel.SMS))
    assert not_offered.node == "services_place" and not_offered.replies[0] == Msg("not_understood")


def test_the_region_prompt_settles_a_shared_name_by_number_and_skips_the_question_when_it_can(
    content: Content,
) -> None:
    asked = step(content, Visit("subscribe_region", "en"), Message.of("Bergen", Channel.SMS))
    assert (asked.node, asked.hint) == ("subscribe_region_pick", PlaceAsked("bergen"))
    chosen = step(content, Visit(asked.node, "en", asked.hint), Message.of("2", Channel.SMS))
    assert (chosen.node, chosen.hint) == ("subscribe_confirm", RegionChosen("VR23"))  # Limburg-Noord
    postcode = step(content, Visit("subscribe_region", "en"), Message.of("2132 AB", Channel.SMS))
    assert (postcode.node, postcode.hint) == ("subscribe_confirm", RegionChosen("VR12"))  # Kennemerland
    # Nes lies in three municipalities, all in Fryslan: the region is known without asking which.
    nes = step(content, Visit("subscribe_region", "en"), Message.of("Nes", Channel.SMS))
    assert (nes.node, nes.hint) == ("subscribe_confirm", RegionChosen("VR02"))
    # Achterveld lies in Leusden and Barneveld, two regions: only a number settles it.
    achterveld = step(content, Visit("subscribe_region", "en"), Message.of("Achterveld", Channel.SMS))
    assert achterveld.hint == PlaceAsked("achterveld")


def test_a_near_miss_by_sms_leaves_nothing_typed_in_redis(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    for text in ("hi", "1", "2", "8", "Amsterdm"):
        assert post(inbound(ALICE, text)).status_code == 200
        work()
    assert sent_to(standin, ALICE)[-1] == "Did you mean Amsterdam?\n1 Yes\n0 Menu - 112 Danger now"
    pseudonym = str(app.extensions["samen"].keys.pseudonym(ALICE))
    assert redis_conn.get(line_keys.CONVERSATION(pseudonym)) == b'{"n":"services_place_pick","h":"amsterdam"}'
    for key in redis_conn.scan_iter(count=1000):
        kind = redis_conn.type(key)
        values = [redis_conn.get(key)] if kind == b"string" else redis_conn.hvals(key) if kind == b"hash" else []
        values += redis_conn.lrange(key, 0, -1) if kind == b"list" else []
        assert not any(b"amsterdm" in (value or b"").lower() for value in values), key
    post(inbound(ALICE, "1"))
    work()
    assert sent_to(standin, ALICE)[-1].startswith("Amsterdam, region Amsterdam-Amstelland: no local services")


def test_a_session_file_naming_a_place_in_two_regions_is_told_which_to_write(places: Places) -> None:
    text = 'title = "Health"\nstarts = 2099-02-01T14:00:00\nplace = "Hoorn"\nhost = "Org"\nlanguages = ["nl"]\n'
    with pytest.raises(SessionFileError, match=r"'Hoorn' is a place in more than one region: write one of VR02 \("):
        parse_session(text + 'regions = ["Hoorn"]\n', places, ["nl"])
    with pytest.raises(SessionFileError, match="'Atlantis' is not a safety region code or a known place"):
        parse_session(text + 'regions = ["Atlantis"]\n', places, ["nl"])
    assert parse_session(text + 'regions = ["2132", "Hoofddorp"]\n', places, ["nl"]).regions == ["VR12"]
