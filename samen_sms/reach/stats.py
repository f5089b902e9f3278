"""The reach figures as a table, small numbers hidden: what `flask stats` prints and the console shows.

`table(conn, start, end, by, group)` reads the day counts (`core.tally.read_days`) in one round trip
and returns rows of text, suppression applied: any count from 1 to 4 shows as `<5`, and where a
hidden count could be worked out by subtraction from a total (a row or column with exactly one
hidden cell), the next smallest count in that line is hidden too (`*`). Totals are computed from
the same hidden cube, so the plain table and every `--group` table of the same dates agree. Replies
to announcements are counted by session; which organisation hosted a session is the announcements'
to say, so the caller passes their lookup in (`hosts`: `Registry.session_hosts`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import redis

from samen_sms.core import tally
from samen_sms.line.registry import HostsLookup

BY = ("day", "week", "month")
GROUPS = ("language", "channel", "code", "screen", "region")
ALL, TOTAL, HIDDEN, NO_CODE = "all", "total", "*", "none"
SMALL = tally.SMALL
# Each counted metric and the group it is broken down by (None: a plain number).
METRICS: dict[str, str | None] = {
    "first": "channel",  # first contacts
    "code": "code",  # conversations begun with a referral code
    "language": "language",  # languages chosen
    "screen": "screen",  # screens opened
    "region": "region",  # place lookups
    "opted_in": "region",
    "opted_out": None,
    "sent": None,  # announcements sent
    "delivered": None,
    "replied": "code",  # replies to sessions, by the code of the organisation hosting them
    "erase": None,
}
# In a table broken down by a group, the count named like the group gets a column name of its own
# (a header "code code" said nothing): what was counted of each value.
COUNTED_AS = {"code": "conversations", "language": "chosen", "screen": "opened", "region": "lookups"}
LEGEND = "<5: a count from 1 to 4, hidden. *: hidden so that a <5 cannot be worked out from a total."


@dataclass(frozen=True)
class Table:
    """Column names and rows of text, suppression applied."""

    columns: list[str]
    rows: list[list[str]]


def period_of(day: date, by: str) -> str:
    """The label of the day, week or month a day belongs to."""
    if by == "week":
        return tally.week_of(day)
    return day.strftime("%Y-%m") if by == "month" else day.isoformat()


def read_days(conn: redis.Redis, start: date, end: date) -> dict[date, dict[str, int]]:
    """Every day's counts from `start` to `end` (inclusive), in one round trip."""
    return tally.read_days(conn, [start + timedelta(days=i) for i in range((end - start).days + 1)])


Cube = dict[str, dict[str, int]]  # period -> group value -> count


def cubes(days: Mapping[date, Mapping[str, int]], by: str, hosts: Mapping[str, str]) -> dict[str, Cube]:
    """Metric -> period -> value -> count, from the day counts (`replied` turned from sessions to host codes)."""
    out: dict[str, Cube] = {m: defaultdict(lambda: defaultdict(int)) for m in METRICS}
    for day, counts in days.items():
        period = period_of(day, by)
        for name, value in counts.items():
            metric, _, part = name.partition(":")
            if metric not in out:
                continue
            if metric == "replied":
                part = hosts.get(part, NO_CODE)
            out[metric][period][part or ALL] += value
    return out


def suppress(grid: list[list[int]]) -> list[list[str]]:
    """Hide 1-4, then hide more until no row or column (margins included) has exactly one hidden cell.

    `grid` has its row totals as the last column and column totals as the last row.
    """
    rows, cols = len(grid), len(grid[0])
    hidden = {(i, j): SMALL for i in range(rows) for j in range(cols) if 1 <= grid[i][j] <= 4}
    lines = [[(i, j) for j in range(cols)] for i in range(rows)] + [[(i, j) for i in range(rows)] for j in range(cols)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(cell in hidden for cell in line) != 1:
                continue
            shown = [cell for cell in line if cell not in hidden and grid[cell[0]][cell[1]] > 0]
            if shown:
                # The smallest count, inner cells before totals, keeps the most information.
                pick = min(shown, key=lambda c: (c[0] == rows - 1 or c[1] == cols - 1, grid[c[0]][c[1]]))
                hidden[pick] = HIDDEN
                changed = True
    return [[hidden.get((i, j), str(grid[i][j])) for j in range(cols)] for i in range(rows)]


def _matrix(cube: Cube, periods: list[str], values: list[str]) -> list[list[str]]:
    grid = [[cube.get(p, {}).get(v, 0) for v in values] for p in periods]
    grid = [row + [sum(row)] for row in grid]
    grid.append([sum(row[j] for row in grid) for j in range(len(values) + 1)])
    return suppress(grid)


def table(
    conn: redis.Redis, start: date, end: date, by: str = "day", group: str | None = None, *, hosts: HostsLookup
) -> Table:
    """The reach figures from `start` to `end` by day, week or month, optionally broken down by `group`.

    `hosts(conn, session ids)` names the referral code of each session's host (replies count under it).
    """
    return tables(conn, start, end, by, [group], hosts=hosts)[group]


def tables(
    conn: redis.Redis, start: date, end: date, by: str, groups: Iterable[str | None], *, hosts: HostsLookup
) -> dict[str | None, Table]:
    """`table` for several groups of the same dates, the day counts read once."""
    return tables_of(conn, read_days(conn, start, end), by, groups, hosts=hosts)


def tables_of(
    conn: redis.Redis,
    days: Mapping[date, Mapping[str, int]],
    by: str,
    groups: Iterable[str | None],
    *,
    hosts: HostsLookup,
) -> dict[str | None, Table]:
    """`tables` for day counts already read (`read_days`, or some of its days): the console's windows."""
    wanted = list(groups)
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    for group in wanted:
        if group is not None and group not in GROUPS:
            raise ValueError(f"group must be one of {', '.join(GROUPS)}")
    if not days:
        raise ValueError("no days to show")
    start, end = min(days), max(days)
    replied = {n.partition(":")[2] for counts in days.values() for n in counts if n.startswith("replied:")}
    by_metric = cubes(days, by, hosts(conn, replied) if replied else {})
    periods = sorted({period_of(day, by) for day in days})
    return {group: _table(conn, by_metric, periods, start, end, by, group) for group in wanted}


def _table(conn: redis.Redis, by_metric: dict[str, Cube], periods: list[str], start: date, end: date, by: str,
           group: str | None) -> Table:
    if group is None:
        columns = list(METRICS)
        sums = {}
        for metric, cube in by_metric.items():
            values = sorted({v for per in cube.values() for v in per}) or [ALL]
            sums[metric] = [row[-1] for row in _matrix(cube, periods, values)]
        rows = [[label] + [sums[m][i] for m in columns] for i, label in enumerate([*periods, TOTAL])]
        return Table(["period", *columns], rows)
    metrics = [m for m, g in METRICS.items() if g == group]
    values = sorted({v for m in metrics for per in by_metric[m].values() for v in per if v != ALL}) or [ALL]
    shown = {m: _matrix(by_metric[m], periods, values) for m in metrics}
    rows = []
    for i, label in enumerate([*periods, TOTAL]):
        for j, value in enumerate([*values, ALL]):
            rows.append([label, value] + [shown[m][i][j] for m in metrics])
    names = [COUNTED_AS.get(m, m) if m == group else m for m in metrics]
    if group == "code":
        people = people_per_code(conn, start, end, by, values, overall=True)
        rows = [row + [people.get((row[0], row[1]), "")] for row in rows]
        names.append("people")
    return Table(["period", group, *names], rows)


def people_per_code(
    conn: redis.Redis, start: date, end: date, by: str, codes: list[str], *, overall: bool = False
) -> dict[tuple[str, str], str]:
    """Different people each code reached per week (or month, from its weeks), estimated, as a page or
    report shows them: each code's periods beside its total, 1-4 as <5, and `*` where the total
    would give a <5 back. Each week has its own salt, so the total is the sum of the weeks (someone
    reached in two weeks counts in both), and a hidden week could be worked out from it.

    By day there is no count per day (people are counted per week): only the total, from the weeks
    the dates touch. `overall` adds every code together (`ALL`), hidden with the codes as one table.
    """
    counts = _people(conn, start, end, by, codes)
    periods = [*dict.fromkeys(label for label, _ in counts if label != TOTAL), TOTAL]
    out = {}
    if overall:
        columns = [*codes, ALL]
        grid = suppress([[counts.get((label, c), 0) for c in columns] for label in periods])
        for label, row in zip(periods, grid, strict=True):
            out.update({(label, c): cell for c, cell in zip(columns, row, strict=True)})
        return out
    for code in codes:
        column = suppress([[counts.get((label, code), 0)] for label in periods])
        out.update({(label, code): cell[0] for label, cell in zip(periods, column, strict=True)})
    return out


def _people(conn: redis.Redis, start: date, end: date, by: str, codes: list[str]) -> dict[tuple[str, str], int]:
    weeks = sorted({tally.week_of(start + timedelta(days=i)) for i in range((end - start).days + 1)})
    if not codes or codes == [ALL]:
        return {}
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for week in weeks:
        label = week if by == "week" else _month_of_week(week)
        for code in codes:
            wheres = [(TOTAL, code), (TOTAL, ALL)]
            if by != "day":
                wheres += [(label, code), (label, ALL)]
            for where in wheres:
                groups[where].append((week, code))
    return tally.people(conn, groups)


def _month_of_week(week: str) -> str:
    # A week belongs to the month of its Thursday (as ISO weeks belong to years).
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 4).strftime("%Y-%m")


def reach_by_code(conn: redis.Redis, codes: list[str], weeks: list[str]) -> dict[str, int]:
    """Different people each code reached over these weeks (a union of the weekly estimates)."""
    return tally.people(conn, {code: [(week, code) for week in weeks] for code in codes})


def shown(count: int) -> str:
    """One count as an output shows it: 1-4 hidden as <5 (the rule of every figure, `tally.shown`)."""
    return tally.shown(count)
