"""The service directory, its freshness check, and finding the place someone texts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from samen_sms.authoring.directory import main
from samen_sms.content.directory import Directory, DirectoryError, Service, load_directory
from samen_sms.content.engine import Message, Visit, step
from samen_sms.content.loader import load_content
from samen_sms.content.places import Places, load_places, place_key
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.replies import Services
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from tests.conftest import content_of

DATA = Path(__file__).resolve().parent.parent / "data"
ENTRY = """
[[service]]
id = "clinic"
name = "Kliniek"
phone = "0800-0000"
purpose = "directory.gza"
needs = ["health"]
cost = "free"
hours = "office"
anonymous = "no"
places = ["GM0363"]
source = "https://example.org"
verified = 2026-01-01
"""


@pytest.fixture(scope="module")
def places() -> Places:
    return load_places(DATA / "nl-municipalities.csv", DATA / "nl-postcodes.csv")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    content = content_of(Config.from_env({"SAMEN_ENV": "development"}))
    return Renderer(content, line_params("+447700900000", "whatsapp:+447700900001"))


def test_the_directory_loads_with_every_entry_sourced_and_dated(renderer: Renderer) -> None:
    directory: Directory = renderer.content.directory
    assert {s.id for s in directory.services} >= {"veilig_thuis", "csg", "slachtofferhulp", "113", "kindertelefoon"}
    for service in directory.services:
        assert service.source.startswith("https://") and isinstance(service.verified, dt.date)
    numbers = {s.phone for s in directory.services}
    assert {"0800-2000", "0800-0188", "0900-0101", "088-112 2 112", "0800-0432"} <= numbers


@pytest.mark.parametrize("field", ["source", "verified"])
def test_an_entry_without_source_or_date_is_refused_by_name(tmp_path: Path, field: str) -> None:
    path = tmp_path / "services.toml"
    path.write_text("\n".join(line for line in ENTRY.splitlines() if not line.startswith(field)), encoding="utf-8")
    with pytest.raises(DirectoryError, match=f"service 'clinic' has no {field}"):
        load_directory(path)


def test_an_entry_for_an_unknown_place_is_refused(tmp_path: Path, places: Places) -> None:
    path = tmp_path / "services.toml"
    path.write_text(ENTRY.replace("GM0363", "GM9999"), encoding="utf-8")
    with pytest.raises(DirectoryError, match="unknown places"):
        load_directory(path, places.by_code)


def test_check_lists_stale_entries_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "services.toml"
    path.write_text(ENTRY, encoding="utf-8")
    assert main(["check", "--file", str(path), "--today", "2026-12-31"]) == 0
    assert main(["check", "--file", str(path), "--today", "2027-01-02"]) == 1
    assert "STALE clinic" in capsys.readouterr().out


def test_the_shipped_directory_is_fresh_today(capsys: pytest.CaptureFixture[str]) -> None:
    # Today's date, on purpose: this fails the day an entry goes 12 months unverified (`make content`).
    assert main(["check", "--file", str(DATA / "services.toml"), "--today", dt.date.today().isoformat()]) == 0, (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Amsterdam", "GM0363"),
        ("  AMSTERDAM!! ", "GM0363"),
        ("'s-Gravenhage", "GM0518"),
        ("s gravenhage", "GM0518"),
        ("Den Haag", "GM0518"),
        ("'s-Hertogenbosch", "GM0796"),
        ("den bosch", "GM0796"),
        ("Súdwest-Fryslân", "GM1900"),
        ("sudwest fryslan", "GM1900"),
        ("Zuidwest-Friesland", "GM1900"),
        ("leidschendam voorburg", "GM1916"),
        ("Hengelo (O.)", "GM0164"),
        ("Hengelo (Gld)", "GM1876"),
        ("Nuenen", "GM0820"),
    ],
)
def test_place_names_are_recognised_in_the_forms_people_type(places: Places, typed: str, code: str) -> None:
    found = places.find(typed)
    assert found is not None and found.code == code


def test_unknown_and_ambiguous_places_are_not_guessed(places: Places) -> None:
    assert places.find("Atlantis") is None
    assert places.find("Bergen") is None  # Bergen (NH.) and Bergen (L.): the line asks which
    assert places.find("Hengelo") is None  # Hengelo (O.) and Hengelo (Gld), in Bronckhorst
    assert place_key("'s-Hertogenbosch") == "hertogenbosch"
    assert len(places.by_code) == 342


def test_a_place_shows_its_own_entries_beside_the_national_ones(renderer: Renderer) -> None:
    directory: Directory = renderer.content.directory
    clinic = Service(
        id="clinic",
        name="Kliniek Oost",
        phone="0800-0000",
        purpose="directory.gza",
        needs=("health",),
        cost="free",
        hours="office",
        anonymous="no",
        professionals=False,
        places=("GM0363",),
        source="https://example.org",
        verified=dt.date(2026, 1, 1),
        languages=("en",),
    )
    local = dataclasses.replace(directory, services=(*directory.services, clinic))
    content = dataclasses.replace(renderer.content, directory=local)
    local_renderer = Renderer(content, renderer.params)

    outcome = step(content, Visit(node="services_place", locale="en"), Message.of("amsterdam", Channel.SMS))
    assert outcome.replies == (Services("GM0363"),)  # the code, never what was typed
    text = local_renderer.render("en", outcome.replies, Channel.SMS)
    assert text.startswith("Near Amsterdam, region Amsterdam-Amstelland:\nKliniek Oost 0800-0000")
    assert text.index("Kliniek Oost") < text.index("Veilig Thuis 0800-2000")

    dutch = local_renderer.render("nl", outcome.replies, Channel.SMS)
    assert "(gratis, ma-vr 9-17, met je naam, English)" in dutch  # a language only where the entry names it

    elsewhere = step(content, Visit(node="services_place", locale="en"), Message.of("Utrecht", Channel.SMS))
    other = local_renderer.render("en", elsewhere.replies, Channel.SMS)
    assert "Kliniek" not in other and "Veilig Thuis 0800-2000" in other


def test_an_unknown_place_still_gets_the_national_services(renderer: Renderer) -> None:
    outcome = step(renderer.content, Visit(node="services_place", locale="ar"), Message.of("مدينتي", Channel.SMS))
    assert outcome.replies == (Services(""),) and outcome.node == "services_place"
    text = renderer.render("ar", outcome.replies, Channel.SMS)
    assert "0800-2000" in text and "0800-0188" in text and "0900-0101" in text


def test_digits_at_the_place_prompt_still_navigate(renderer: Renderer) -> None:
    outcome = step(renderer.content, Visit(node="services_place", locale="fa"), Message.of("۰", Channel.SMS))
    assert outcome.node == "main"


def test_content_refuses_a_screen_for_a_need_no_service_has(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    flows = tmp_path / "flows"
    flows.mkdir()
    flow = (root / "flows" / "main.toml").read_text(encoding="utf-8")
    (flows / "main.toml").write_text(flow.replace('directory = "suicide"', 'directory = "housing"'), encoding="utf-8")
    cfg = dataclasses.replace(Config.from_env({"SAMEN_ENV": "development"}), flows_dir=flows)
    with pytest.raises(DirectoryError, match="lists need 'housing', which no service has"):
        load_content(cfg)
