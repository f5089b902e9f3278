"""Every test is in one tier, never lower than what it uses: `make test-fast` runs the pure ones alone."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import TIERS, fixture_tier, given_tiers


def test_every_collected_test_has_exactly_one_tier_no_lower_than_its_fixtures(request: pytest.FixtureRequest) -> None:
    items = request.session.items
    assert items
    for item in items:
        tiers = given_tiers(item)
        assert len(tiers) == 1, (item.nodeid, tiers)
        needed = fixture_tier(getattr(item, "fixturenames", ()))
        assert TIERS.index(tiers[0]) >= TIERS.index(needed), (item.nodeid, tiers[0], "needs", needed)


def test_a_pure_test_cannot_open_a_connection() -> None:
    with socket.socket() as sock, pytest.raises(RuntimeError, match="a pure test did socket.connect"):
        sock.connect(("127.0.0.1", 9))
