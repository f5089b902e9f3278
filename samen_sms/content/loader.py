"""Reading the content at start: the flow, the catalogues, places, the directory; all checked before use.

Places: the municipalities, their postcodes and villages (`data/`), and the cities' names as each
catalogue's readers write them (`[places]`), refused at start if one names an unknown municipality.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from samen_sms.content import optin, placeinput
from samen_sms.content.catalogue import Catalogue, CatalogueError, load_catalogues
from samen_sms.content.community import community_input, community_pick, load_community
from samen_sms.content.directory import Directory, DirectoryError, load_directory
from samen_sms.content.engine import Content
from samen_sms.content.flow import Flow, Node, load_flow
from samen_sms.content.places import load_places
from samen_sms.content.text import words
from samen_sms.core.config import Config


def load_content(config: Config) -> Content:
    """Read and validate the flow and every catalogue it offers."""
    flow = load_flow(config.flows_dir / "main.toml")
    catalogues = load_catalogues(config.messages_dir, list(flow.languages))
    flow, catalogues = offered(flow, catalogues, config.languages)
    written: dict[str, list[str]] = {}
    for catalogue in catalogues.values():
        for code, names in catalogue.places.items():
            written.setdefault(code, []).extend(names)
    data_dir = config.data_dir
    places = load_places(data_dir / "nl-municipalities.csv", data_dir / "nl-postcodes.csv", written, _words(catalogues))
    directory = load_directory(config.data_dir / "services.toml", places.by_code)
    _check_directory(directory, flow.nodes.values(), catalogues[flow.languages[0]])
    community = load_community(config.data_dir / "services.toml", places.regions)
    inputs = {**placeinput.INPUTS, "community": community_input, "community_pick": community_pick, **optin.INPUTS}
    return Content.build(flow, catalogues, places, directory, community, inputs)


def _words(catalogues: dict[str, Catalogue]) -> set[str]:
    """Every folded word the line's own messages, keywords and yes words use, in every language."""
    found: set[str] = set()
    for catalogue in catalogues.values():
        texts = [part for text in catalogue.messages.values() for part in (text.sms, text.whatsapp)]
        texts += [word for listed in catalogue.keywords.values() for word in listed] + list(catalogue.yes)
        for text in texts:
            found.update(words(text))
    return found


def offered(
    flow: Flow, catalogues: dict[str, Catalogue], languages: tuple[str, ...]
) -> tuple[Flow, dict[str, Catalogue]]:
    """The flow and catalogues cut to the languages the line offers (`SAMEN_LANGUAGES`; empty: all).

    Every catalogue is still loaded and checked first, so a language held back for review cannot
    rot unnoticed; a person whose remembered language is held back is asked to choose again.
    """
    if not languages:
        return flow, catalogues
    unknown = [code for code in languages if code not in flow.languages]
    if unknown:
        raise CatalogueError(
            f"SAMEN_LANGUAGES names {', '.join(unknown)}, which flows/main.toml does not offer "
            f"(it has {', '.join(flow.languages)})"
        )
    kept = tuple(loc for loc in flow.languages if loc in languages)
    return replace(flow, languages=kept), {loc: catalogues[loc] for loc in kept}


def _check_directory(directory: Directory, nodes: Iterable[Node], reference: Catalogue) -> None:
    # Every need a screen lists has entries, and every entry's words are in the catalogues.
    for node in nodes:
        if node.directory and not directory.for_need(node.directory):
            raise DirectoryError(f"node {node.name!r} lists need {node.directory!r}, which no service has")
    for service in directory.services:
        keys = [service.purpose, f"directory.cost.{service.cost}"]  # "unknown" ones are never shown
        keys += [f"directory.hours.{service.hours}", f"directory.anonymous.{service.anonymous}"]
        missing = [k for k in keys if k not in reference.messages and not k.endswith(".unknown")]
        if missing:
            raise DirectoryError(f"service {service.id!r} needs catalogue messages {', '.join(missing)}")
