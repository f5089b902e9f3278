"""`flask --app app content export DIR` and `content import DIR`: translators work in PO files.

Export writes one PO file per language (every language of the flow, whatever `SAMEN_LANGUAGES`
holds back). Import reads them back, refuses the whole import with every reason (language, entry,
why) if one entry is wrong, and otherwise changes in `messages/*.toml` only what changed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from samen_sms.authoring.poimport import export_directory, import_directory
from samen_sms.authoring.review import table
from samen_sms.content.engine import Content
from samen_sms.content.loader import load_content
from samen_sms.content.render import line_params
from samen_sms.core.config import Config
from samen_sms.line.registry import Registry

if TYPE_CHECKING:
    from flask import Flask

content_cli = AppGroup("content", help="Translations: export PO files for translators, import them back checked.")


def register(registry: Registry) -> None:
    """Nothing to carry out per message: translations are worked on offline."""
    del registry


def init_app(app: Flask) -> None:
    """The `flask content` commands."""
    app.cli.add_command(content_cli)


def _config() -> Config:
    config: Config = current_app.extensions["samen"].config
    return config


def _everything(config: Config) -> Content:
    # Every language, also those SAMEN_LANGUAGES holds back: they are translated and reviewed too.
    return load_content(replace(config, languages=()))


@content_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_cmd(directory: Path) -> None:
    """Write DIRECTORY/<language>.po for every language."""
    written = export_directory(_everything(_config()), directory)
    click.echo(f"Wrote {len(written)} PO files to {directory}: {', '.join(p.name for p in written)}")


@content_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_cmd(directory: Path) -> None:
    """Check DIRECTORY/*.po and, if every entry passes, update messages/*.toml."""
    config = _config()
    content = _everything(config)
    params = line_params(config.twilio_sms_from, config.twilio_whatsapp_from)
    planned, refusals = import_directory(content, params, config.messages_dir, directory)
    if refusals:
        for refusal in refusals:
            click.echo(f"refused: {refusal}", err=True)
        raise click.ClickException(f"{len(refusals)} refusal(s); no catalogue was changed")
    for path, text in planned.items():
        path.write_text(text, encoding="utf-8")
        click.echo(f"updated {path.name}")
    if not planned:
        click.echo("nothing changed")
    click.echo(table(_everything(config).catalogues))
