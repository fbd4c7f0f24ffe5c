"""Mobiville-style lists of aids for job seekers who move for a job (France Travail's Mobiville).

The source: a JSON array of aids, as in Mobiville's `api/src/assets/datas/helps.json`. Each aid:

| source field | meaning | ours |
| --- | --- | --- |
| `slug` | the aid's stable identifier | `id` |
| `title` | name (may carry ®) | `nom` |
| `goal` | one-line promise | first paragraph of `description` |
| `description` | HTML | `description` (safe text) |
| `when` | when to apply, HTML | `description`, « Quand faire la demande » |
| `cumulable` | `oui`, `non` or HTML sentences | `description`, « Cumul » |
| `conditions` | HTML | `conditions_texte` |
| `who` | HTML; a hidden `<span style="display:none">` holds Mobiville's filter tags, `^`-separated (`demandeur d'emploi^ salarié^ alternance^ moins de 26 ans^ plus de 26 ans`); the visible rest is prose | `publics` (from the tags), `publics_precisions` (the prose) |
| `link` | the aid's page at its porteur | `lien_source` |
| `partner` | who grants it (Action logement, Pôle emploi, État…) | `porteur_nom` |
| `type` | « Aide financière », « Aide transport », « Accès au logement », « Aide administrative », « Accompagnement du projet » (comma-separated) | `categorie`, see `CATEGORIES` |
| `section` | « logement », « transport », « dossier logement »… | `thematiques`, see `THEMATIQUES` |
| `situation`, `logo`, `visibility_boost` | Mobiville's screens | ignored |

HTML becomes plain text with nh3 (no markup survives; line breaks are kept). The aids are
national: `zone_eligibilite` is `["france"]` unless the option `zone_eligibilite` says otherwise
(a list, or codes separated by commas: `--option zone_eligibilite=93,94`).
The tags are coarse screen filters (« moins de 26 ans » while the text says « moins de 30 ans »), so
no structured age or status condition is derived from them: only `publics`.
The file carries no date: `date_maj` is the option `date_maj`, else the file's modification date.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import nh3

from catalog.errors import UnusableInput
from catalog.records import qualified_id
from catalog.tabular import iter_json_stream, iter_rows
from catalog.validation import Problem
from harvesters.aides_text import without_tags
from harvesters.base import Harvester, Item, date_maj_option, file_date, list_option
from harvesters.html_prose import LINE_BREAK, LIST_ITEM, escape_prose
from harvesters.http import HttpClient, is_url, last_modified

# Mobiville's aid types → our categories (the first type that maps wins). Mobiville is about
# moving for a job: most aids are about housing, which `categories-mobilite` has no word for;
# help to prepare or carry out the move is the nearest, `conseil-mobilite`.
CATEGORIES = {
    "aide financière": "aide-financiere",
    "aide transport": "aide-financiere",  # refined by `_category` (garages solidaires)
    "accompagnement du projet": "conseil-mobilite",
    "accès au logement": "conseil-mobilite",
    "aide administrative": "conseil-mobilite",
}
# Mobiville's sections → data·inclusion v1 thématiques.
THEMATIQUES = {
    "financement logement": "logement-hebergement--louer-un-logement",
    "recherche logement": "logement-hebergement--louer-un-logement",
    "logement temporaire": "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
    "temporaire": "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
    "dossier logement": "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
    "logement": "logement-hebergement--changer-de-logement",
    "transport": "mobilite--financer-ma-mobilite",
    "accompagnement": "mobilite--etre-accompagne-dans-son-parcours-mobilite",
}
# Mobiville's « who » tags → v1 publics (data·inclusion's reading of alternants: students who work).
TAGS = {
    "demandeur d'emploi": ("demandeurs-emploi",),
    "demandeur d'emploi avec promesse d'embauche": ("demandeurs-emploi",),
    "salarié": ("actifs",),
    "alternance": ("actifs", "etudiants"),
    "moins de 26 ans": ("jeunes",),
    "plus de 26 ans": (),
}
# A tag ends before the next « < », the hidden span's text before the next « <span » or « </span »,
# and spaces are read once: a hostile text is scanned in linear time, never rescanned to its end
# from each « < ».
BLOCK_END = re.compile(r"</\s*(p|div|li|h\d)\s*>", re.IGNORECASE)
HIDDEN = re.compile(r"<span[^<>]*?display\s*:\s*none[^<>]*>([^<]*(?:<(?!/?span\b)[^<]*)*)</span>", re.IGNORECASE)


class MobivilleHarvester(Harvester):
    format: ClassVar[str] = "mobiville"
    kinds: ClassVar[tuple[str, ...]] = ("solution-mobilite",)
    default_source: ClassVar[str] = "mobiville"

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.source = str(self.options.get("source") or self.default_source)
        self._done = 0

    def items(self) -> Iterator[Item]:
        rows, modified = self._rows()
        file_date = date_maj_option(self.options) or modified
        zone = _zone_option(self.options.get("zone_eligibilite"))
        for position, aid in rows:
            self._done += 1
            yield self._item(position, aid, file_date, list(zone))

    def progress_done(self) -> int | None:
        return self._done

    def _rows(self) -> tuple[Iterator[tuple[int, dict]], date]:
        if is_url(self.location):
            response = HttpClient().get(self.location)
            when = last_modified(response) or _today()
            return iter_json_stream(io.BytesIO(response.content), self.location), when
        path = Path(self.location)
        rows = iter_rows(path, "json")
        when = file_date(path) if path.is_file() else _today()
        return rows, when

    def _item(self, position: int, aid: dict, file_date: date, zone: list[str]) -> Item:
        slug = _plain(aid.get("slug"))
        reference = f"aide n°{position}" + (f" ({slug})" if slug else "")
        if not slug:
            return Item("solution-mobilite", None, reference,
                        [Problem("slug", "aide-sans-identifiant", "L'aide n'a pas de « slug » : impossible de l'identifier.")])
        tags, who = _who(aid.get("who"))
        publics = []
        for tag in tags:
            for public in TAGS.get(tag, ()):
                if public not in publics:
                    publics.append(public)
        if "moins de 26 ans" in tags and "plus de 26 ans" in tags:
            publics.remove("jeunes")  # both age brackets: no age restriction
        category = _category(aid)
        row = {
            "source": self.source,
            "id": slug,
            "nom": _plain(aid.get("title")),
            "categorie": category,
            "description": _description(aid),
            "porteur_nom": _plain(aid.get("partner")) or None,
            "zone_eligibilite": zone,
            "conditions_texte": safe_text(aid.get("conditions")) or None,
            "publics": publics or None,
            "publics_precisions": who or None,
            "thematiques": _thematiques(aid, category) or None,
            "modes_accueil": ["a-distance"],
            "lien_source": _plain(aid.get("link")) or None,
            "date_maj": file_date,
        }
        return Item("solution-mobilite", row, reference, id_hint=qualified_id(self.source, slug))


def _zone_option(value: Any) -> list[str]:
    """The option `zone_eligibilite`: a list, or a text of codes separated by commas (as
    `--option zone_eligibilite=93,94` gives it: once read as the letters « 9 », « 3 »)."""
    if value in (None, "", []):
        return ["france"]
    codes = list_option(value)
    if not codes:
        raise UnusableInput(f"Option zone_eligibilite illisible (« {value} ») : des codes de territoire séparés "
                            "par des virgules sont attendus (par exemple 93,94 ou france).")
    return codes


def safe_text(value: Any) -> str:
    """HTML (or text) as plain text: no markup, entities decoded, line breaks kept, spaces tidied."""
    if value is None:
        return ""
    text = str(value)
    text = LINE_BREAK.sub("\n", text)
    text = BLOCK_END.sub("\n", text)
    text = LIST_ITEM.sub("- ", text)
    # nh3 drops every tag (and the content of script/style); what remains is escaped text.
    # Escaped markup (`&lt;script&gt;`) becomes text that looks like a tag once unescaped: it
    # goes too, nested escapes (`&lt;&lt;b&gt;img …&gt;`) included.
    text = without_tags(html.unescape(nh3.clean(escape_prose(text), tags=set())))
    lines = [" ".join(line.replace("\u00a0", " ").split()) for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _plain(value: Any) -> str:
    return " ".join(safe_text(value).split())


def _who(value: Any) -> tuple[list[str], str]:
    """Mobiville's filter tags, and the visible prose of `who`."""
    raw = str(value or "")
    hidden = " ".join(HIDDEN.findall(raw))
    visible = HIDDEN.sub(" ", raw)
    parts = [_fold_tag(p) for p in hidden.split("^")] if hidden else []
    if not hidden:
        candidates = [_fold_tag(p) for p in safe_text(visible).split("^")]
        if candidates and all(c in TAGS for c in candidates if c):
            parts, visible = candidates, ""
    prose = safe_text(visible)
    # `^` opens a bullet in the prose (« ^Salariés de plus de 30 ans »).
    prose = re.sub(r"(^|\n)\s*\^\s*", r"\1- ", prose).strip()
    return [p for p in parts if p], prose


def _fold_tag(tag: str) -> str:
    return " ".join(tag.replace("’", "'").lower().split())


def _category(aid: dict) -> str:
    words = f"{aid.get('slug', '')} {aid.get('title', '')} {aid.get('goal', '')}".lower()
    for kind in (part.strip().lower() for part in str(aid.get("type") or "").split(",")):
        if kind == "aide transport" and "garage" in words:
            return "garage-solidaire"
        if kind in CATEGORIES:
            return CATEGORIES[kind]
    return "conseil-mobilite"


def _thematiques(aid: dict, category: str) -> list[str]:
    found: list[str] = []
    if category == "garage-solidaire":
        found.append("mobilite--entretenir-reparer-son-vehicule")
    for section in (part.strip().lower() for part in str(aid.get("section") or "").split(",")):
        value = THEMATIQUES.get(section)
        if value and value not in found and not (section == "transport" and category == "garage-solidaire"):
            found.append(value)
    return found


def _description(aid: dict) -> str:
    parts = [safe_text(aid.get("goal")), safe_text(aid.get("description"))]
    when = safe_text(aid.get("when"))
    if when:
        parts.append(f"Quand faire la demande : {when}")
    cumul = safe_text(aid.get("cumulable"))
    if cumul:
        parts.append(f"Cumul avec d'autres aides : {cumul}")
    return "\n\n".join(p for p in parts if p)


def _today() -> date:
    return datetime.now(UTC).date()
