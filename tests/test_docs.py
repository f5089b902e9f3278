"""The README and docs/ stay true: links lead to files, commands exist, generated tables are what the code prints."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from samen_sms import assembly
from samen_sms.authoring.review import table as languages_table
from samen_sms.authoring.segments import conversation
from samen_sms.content.catalogue import load_catalogues
from samen_sms.content.flow import load_flow
from samen_sms.content.loader import load_content
from samen_sms.content.render import Renderer, line_params
from samen_sms.core import settings
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
# Every page that names the code: the README, docs/, and the READMEs of data/ and bench/.
NAMING_PAGES = [*PAGES, ROOT / "data" / "README.md", ROOT / "bench" / "README.md"]
MAX_README_LINES = 250


def text_of(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def code_in(page: Path) -> list[str]:
    """What a page shows as code: fenced blocks and `inline` spans."""
    text = text_of(page)
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    return fenced + re.findall(r"`([^`\n]+)`", prose)


def shown(pattern: str) -> set[tuple[str, ...]]:
    """Every command the pages show that `pattern` matches, as (command, subcommand words...)."""
    found = set()
    for page in PAGES:
        for code in code_in(page):
            for match in re.finditer(pattern, code):
                found.add((match.group(1), *match.group(2).split()))
    return found


def test_the_readme_is_a_map_of_at_most_250_lines() -> None:
    lines = text_of(README).splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail into docs/"
    # The two commands a newcomer needs come first.
    start = text_of(README).index("make run")
    assert start < text_of(README).index("make test") < text_of(README).index("## How it works")


@pytest.mark.parametrize("page", NAMING_PAGES, ids=lambda page: page.parent.name + "/" + page.name)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", text_of(page))
    relative = [link.split("#")[0] for link in links if not re.match(r"[a-z]+:|#", link)]
    missing = [link for link in relative if not (page.parent / link).exists()]
    assert missing == [], f"{page.name} links to files that do not exist: {missing}"
    # A link to a section (`operations.md#twilios-message-log`) names a heading of that page.
    for link in links:
        target, _, anchor = link.partition("#")
        if anchor and not re.match(r"[a-z]+:", link):
            headings = re.findall(r"^#+ (.+)$", text_of(page.parent / target if target else page), re.M)
            slugs = {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}
            assert anchor in slugs, f"{page.name} links to a section that {target or page.name} lacks: {link}"


def test_every_make_target_shown_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = {words[1] for words in shown(r"\b(make) ([a-z][a-z-]*)")} | {"run", "test"}
    assert named - targets == set(), f"the docs name make targets the Makefile lacks: {named - targets}"


@pytest.mark.system  # runs each command as a process
def test_every_python_module_command_shown_runs_with_help() -> None:
    commands = shown(r"python -m ((?:samen_sms|workers)(?:\.\w+)*)((?: [a-z][a-z-]*)*)")
    assert ("samen_sms.core.settings", "markdown") in commands
    options = options_shown(r"python -m ((?:samen_sms|workers)(?:\.\w+)*(?: [a-z][a-z-]*)*)")
    assert "--whatsapp" in options["samen_sms.devtools.simulate"]
    failed, unknown = {}, {}
    for module, *words in sorted(commands):
        done = subprocess.run(
            [sys.executable, "-m", module, *words, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            failed[" ".join([module, *words])] = done.stderr.strip().splitlines()[-1:]
        given = options.get(" ".join([module, *words]), set())
        if missing := sorted(option for option in given if option not in done.stdout):
            unknown[" ".join([module, *words])] = missing
    assert failed == {}, f"commands in the docs that do not run with --help: {failed}"
    assert unknown == {}, f"commands in the docs shown with options they do not take: {unknown}"


def options_shown(pattern: str, pages: list[Path] = PAGES) -> dict[str, set[str]]:
    """Every `--option` the pages show after a command that `pattern` matches (group 1), by command."""
    found: dict[str, set[str]] = {}
    for page in pages:
        for code in code_in(page):
            for line in code.replace("\\\n", " ").splitlines():
                for match in re.finditer(pattern + r"([^#|`;]*)", line):
                    options = found.setdefault(match.group(1).strip(), set())
                    options.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", match.group(match.lastindex or 0)))
    return found


def test_every_flask_command_shown_runs_with_help(app: Flask) -> None:
    commands = shown(r"(flask) --app app((?: [a-z][a-z-]*)+)")
    assert ("flask", "sessions", "add") in commands
    options = options_shown(r"flask --app app((?: [a-z][a-z-]*)+)")
    assert "--dry-run" in options["sessions announce"]
    runner = app.test_cli_runner()
    failed = {}
    for _, *words in sorted(commands):
        result = runner.invoke(args=[*words, "--help"])
        if result.exit_code != 0 or "Usage:" not in result.output:
            failed[" ".join(words)] = result.output.strip().splitlines()[-1:]
    assert failed == {}, f"flask commands in the docs that do not exist: {failed}"
    unknown = {}
    for shown_as, given in options.items():
        words = [word for word in shown_as.split() if re.fullmatch(r"[a-z][a-z-]*", word)]
        usage = runner.invoke(args=[*words, "--help"]).output
        if missing := sorted(option for option in given if option not in usage):
            unknown[shown_as] = missing
    assert unknown == {}, f"flask commands in the docs shown with options they do not take: {unknown}"


def test_every_option_shown_for_a_bench_script_is_one_it_takes() -> None:
    options = options_shown(r"(bench/\w+\.py)", NAMING_PAGES)
    assert "--failover" in options["bench/soak.py"]
    unknown = {}
    for script, given in options.items():
        source = (ROOT / script).read_text(encoding="utf-8")
        if missing := sorted(option for option in given if f'"{option}"' not in source):
            unknown[script] = missing
    assert unknown == {}, f"bench scripts shown with options they do not take: {unknown}"


def conversation_row() -> str:
    """The conversation's segments per language, as `python -m ...segments` plays it."""
    content = load_content(Config.from_env({"SAMEN_ENV": "development"}))
    renderer = Renderer(content, line_params("+31970000000", "whatsapp:+31970000000"))
    locales = list(content.flow.languages)
    costs = [
        sum(conversation(content, lambda loc, refs: renderer.render_messages(loc, refs, Channel.SMS), loc))
        for loc in locales
    ]
    return "\n".join(
        [
            "| | " + " | ".join(locales) + " |",
            "|---" * (len(locales) + 1) + "|",
            "| segments | " + " | ".join(str(cost) for cost in costs) + " |",
        ]
    )


def languages() -> str:
    """The languages table, for every language the flow has."""
    flow = load_flow(ROOT / "flows" / "main.toml")
    return languages_table(load_catalogues(ROOT / "messages", list(flow.languages)))


# Each block between `<!-- name:start -->` and `<!-- name:end -->` in docs/ and what prints it.
GENERATED: dict[str, Callable[[], str]] = {
    "settings-table": settings.markdown,
    "retention-table": assembly.retention_table,
    "languages-table": languages,
    "conversation-segments": conversation_row,
}


def test_every_generated_block_is_what_its_code_prints() -> None:
    blocks = {}
    for page in PAGES:
        for name, inside in re.findall(r"<!-- ([a-z-]+):start -->\n(.*?)\n<!-- \1:end -->", text_of(page), re.S):
            blocks[name] = inside
    assert set(blocks) == set(GENERATED), "a generated block without its generator, or one missing from docs/"
    differ = [name for name, make in GENERATED.items() if blocks[name] != make()]
    assert differ == [], (
        f"paste what the code prints into: {differ} (see docs/configuration.md, privacy.md, languages.md)"
    )


def test_env_example_is_what_the_settings_table_prints() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == settings.env_example(), (
        "run `python -m samen_sms.core.settings env-example > .env.example`"
    )


PACKAGE = ROOT / "samen_sms"


def named_file(page: Path, path: str) -> Path | None:
    """The file a page means by `path`: beside it, in the checkout, or in the package (`line/store.py`, `said.py`)."""
    for candidate in (page.parent / path, ROOT / path, PACKAGE / path, *PACKAGE.glob(f"*/{path}")):
        if candidate.is_file():
            return candidate
    return None


def assigned(node: ast.stmt) -> list[str]:
    """The plain names a statement assigns (`KEYS = ...`, `pattern: str`)."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return [target.id for target in targets if isinstance(target, ast.Name)]


def defined_names(source: Path) -> set[str]:
    """A module's top-level functions, classes and assignments, and `Class.member` for each member of a class."""
    names = set()
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        names.update(assigned(node))
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                members = [member.name] if isinstance(member, ast.FunctionDef) else assigned(member)
                names.update(f"{node.name}.{name}" for name in members)
    return names


@pytest.mark.parametrize("page", NAMING_PAGES, ids=lambda page: page.parent.name + "/" + page.name)
def test_every_python_file_named_exists_and_names_beside_it_are_defined_there(page: Path) -> None:
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text_of(page), flags=re.M | re.S)
    missing = sorted({path for path in re.findall(r"`([\w./-]+\.py)`", prose) if named_file(page, path) is None})
    assert missing == [], f"{page.name} names Python files that do not exist: {missing}"
    # `line/store.py` `Store.arrive`, `content/engine.py` `step(content, visit, message)`: defined in that file.
    undefined = []
    for path, name in re.findall(r"`([\w./-]+\.py)` `([A-Za-z_][\w.]*)(?:\([^`]*\))?`", prose):
        source = named_file(page, path)
        if source is not None and name not in defined_names(source):
            undefined.append(f"{path} {name}")
    assert undefined == [], f"{page.name} names, beside a file, what that file does not define: {undefined}"


@pytest.mark.parametrize("page", NAMING_PAGES, ids=lambda page: page.parent.name + "/" + page.name)
def test_every_dotted_name_in_the_package_named_exists(page: Path) -> None:
    absent = []
    for dotted in sorted(set(re.findall(r"`(samen_sms(?:\.\w+)+)`", text_of(page)))):
        # Modules as long as they are modules, then attributes: `samen_sms.assembly.KEYS`.
        found: object = importlib.import_module("samen_sms")
        for part in dotted.split(".")[1:]:
            module = f"{getattr(found, '__name__', '')}.{part}"
            if hasattr(found, "__path__") and importlib.util.find_spec(module) is not None:
                found = importlib.import_module(module)
            else:
                found = getattr(found, part, None)
        if found is None:
            absent.append(dotted)
    assert absent == [], f"{page.name} names what the package does not have: {absent}"


# Read by the tests, not by the line: named in the pages, and no setting.
NOT_SETTINGS = {"SAMEN_SCREENSHOTS"}


def test_every_setting_named_is_declared() -> None:
    declared = {name for setting in settings.SETTINGS for name in (setting.name, *setting.aliases)}
    named = set()
    for page in NAMING_PAGES:
        named |= set(re.findall(r"\b((?:SAMEN|REDIS|TWILIO)_[A-Z][A-Z_]*[A-Z])\b", text_of(page)))
    unknown = sorted(named - declared - NOT_SETTINGS)
    assert unknown == [], f"the pages name settings that core/settings.py does not declare: {unknown}"
