"""Another catalog's DCAT: the datasets it publishes become Maillage *sources* (not records).

    maillage harvest dcat https://www.exemple.fr/catalog.ttl [--source NOM] [--dry-run] [--json]

Reads a DCAT / DCAT-AP catalog in Turtle, RDF/XML, JSON-LD or N-Triples (told by the HTTP
`Content-Type`, else the extension, else the first bytes), following Hydra paging
(`hydra:PartialCollectionView` … `hydra:next`, and the older `hydra:nextPage`), with rdflib.
For each `dcat:Dataset` and each of its `dcat:distribution`s it reads: title (`dct:title`,
French first), publisher (`dct:publisher` and its `foaf:name`), the URL (`dcat:downloadURL`,
else `dcat:accessURL`), media type (`dcat:mediaType`, `dct:format`), licence (`dct:license`)
and the schema the data follows (`dct:conformsTo` of the distribution, else of the dataset),
which tells the Maillage format that reads it:

    data·inclusion schema  → datainclusion     LHEO                 → lheo
    schema-dispositif-aide → dispositif-aide   one of our schemas   → frictionless

A harvestable distribution is registered as a source (`catalog.sources.upsert_source`) named
`<préfixe>-<jeu de données>` (prefix: `--option prefix=…`, by default this catalog's source
name), remembering where it came from in `options["dcat"]`. Anything else is *recorded as not
harvestable, with the reason* (no schema, a schema no format reads, no URL or a malformed one, a
format this installation lacks); of several distributions of one dataset carrying the same data
(CSV and JSON of the same schema), one is kept, by preferred media type.

How it fits the engine. The engine's run validates records against a schema and writes them
through the store: none of that applies to sources, so this harvester brings its own small
runner (`run_job`, which `engine.harvest` hands the run to), built from the same parts: a job
row in `harvest_job` (status, counts, message), the per-item report (`ReportSpool`: one line per
dataset/distribution, grouped reasons), one transaction (a dry run, a failure or a held run
change nothing), and the same circuit breaker: sources this catalog registered earlier and no
longer publishes are *disabled* (not deleted: their records stay under their own grace rules),
unless that would disable more than the catalog source's archive threshold (held, `--force`).
Counts: `read` datasets, `added`/`updated`/`unchanged` sources, `archived` sources disabled,
`invalid` distributions that could not be registered (a name taken by another source).
Two datasets whose names would be the same (URIs ending alike, no `dct:identifier`) stay two
sources: the second's name takes a digest of its distribution's address, and the report says so.
Registered sources inherit nothing risky: no credentials (a format's default token, e.g.
DATAINCLUSION_API_TOKEN, goes only to that format's official hosts, `credentials_hosts`); a
schedule only if `--option schedule=daily` is given. An existing source keeps its schedule,
credentials and caution settings; only what the catalog says (title, format, location) is updated.
Hydra's next pages are read on the catalog's own site only (its token never leaves it).

Parsing is safe: RDF/XML is parsed first by lxml with entities, DTDs and network off, and a
document with a DOCTYPE is refused (no entity can reach rdflib's expat parser); JSON-LD with a
remote `@context` (or `@import`) is refused before rdflib sees it — rdflib would fetch it with
no way to turn that off — so only inline contexts are read; pages are capped in size and count.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import orjson
from lxml import etree
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS, SKOS
from rdflib.plugins.parsers.notation3 import BadSyntax

from catalog.clock import utcnow
from catalog.config import Settings, load_settings
from catalog.db import get_engine
from catalog.errors import UnusableInput, parser_detail
from catalog.nesting import refuse_too_deep
from catalog.sources import SourceSpec, get_source, list_sources, parse_schedule, upsert_source
from catalog.tabular import check_file, refuse_binary, refuse_html_page, refuse_not_utf8, shown_name
from harvesters import FORMATS, paging
from harvesters.base import Harvester
from harvesters.engine import (
    COUNT_NAMES,
    DONE,
    DONE_WITH_ERRORS,
    FAILED,
    RUNNING,
    HeldForReview,
    JobSummary,
    NotStarted,
    already_running,
    close_job,
    earlier_active_job,
    in_transaction,
    source_policy,
    start_job,
)
from harvesters.http import HttpClient, is_url, read_body, site_of, url_problem
from harvesters.report import ReportSpool
from harvesters.text_hygiene import clean_text

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
MAX_PAGE_BYTES = 50 << 20
MAX_PAGES = 1000
RDF_FORMATS = {  # media type → rdflib parser
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/rdf+xml": "xml",
    "application/xml": "xml", "text/xml": "xml", "application/ld+json": "json-ld", "application/json": "json-ld",
    "application/n-triples": "nt", "text/plain": None,
}
EXTENSIONS = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld",
              ".json": "json-ld", ".nt": "nt"}
# Schemas told by their address (dct:conformsTo), in this order: → the Maillage format reading them.
SCHEMA_FORMATS = (
    (re.compile(r"data[-.]?inclusion", re.IGNORECASE), "datainclusion"),
    (re.compile(r"lheo", re.IGNORECASE), "lheo"),
    (re.compile(r"dispositif[-_]aide", re.IGNORECASE), "dispositif-aide"),
)
# Of several distributions of the same data, the one whose media type comes first is kept.
MEDIA_PREFERENCE = ("json", "ndjson", "parquet", "csv", "xml", "zip")


@dataclass
class Distribution:
    uri: str
    url: str | None
    title: str
    media_type: str | None
    licence: str | None
    conforms_to: list[str]


@dataclass
class Dataset:
    uri: str
    key: str  # dct:identifier, else the last segment of its URI: the stable part of a source name
    title: str
    publisher: str | None
    licence: str | None
    conforms_to: list[str]
    distributions: list[Distribution] = field(default_factory=list)


@dataclass
class Decision:
    """What becomes of one distribution: a source spec, or the reason it is not harvestable."""

    distribution: Distribution
    format: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    code: str = ""  # the reason's kind, so the report groups like with like
    group: str = ""  # distributions of a dataset with the same group carry the same data


class DcatHarvester(Harvester):
    format: ClassVar[str] = "dcat"
    kinds: ClassVar[tuple[str, ...]] = ()  # it writes sources, never records
    default_source: ClassVar[str] = "dcat"
    credentials_env: ClassVar[str | None] = None

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.complete = False  # every page was read: only then may vanished sources be disabled
        self.pages = 0
        self.short_read: str | None = None  # why a read to the last page is not complete after all

    # -- reading the catalog -------------------------------------------------------------------

    def datasets(self) -> Iterator[Dataset]:
        """Every dataset of every page, page after page (one page's graph in memory at a time)."""
        max_pages = paging.whole_option(self.options, "max_pages", MAX_PAGES, paging.MAX_PAGES)
        seen: set[str] = set()
        location: str | None = self.location
        self.complete = False
        total, distinct = None, set()
        while location is not None:
            if location in seen:
                raise UnusableInput(f"Pagination Hydra en boucle : la page {location} revient.")
            if len(seen) >= max_pages:
                raise UnusableInput(f"Plus de {max_pages} pages : lecture arrêtée (option max_pages).")
            seen.add(location)
            graph = self._page(location)
            self.pages += 1
            if self.pages == 1:
                total = _total_items(graph, location)
            for dataset in extract_datasets(graph):
                distinct.add(dataset.uri)
                yield dataset
            location = _next_page(graph, location)
            if location is not None and not is_url(self.location):
                location = None  # a local file does not lead to pages elsewhere: read, not complete
                return
            if location is not None:
                _refuse_other_site(location, self.location)
        # A page without `hydra:next` before the end is not the end when the collection counted more.
        self.short_read = paging.short_read("Jeux de données", len(distinct), total,
                                            "aucune source n'a été désactivée")
        self.complete = self.short_read is None

    def _page(self, location: str) -> Graph:
        if is_url(location):
            client = HttpClient(token=self.credentials, headers={
                "Accept": "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, */*;q=0.1"})
            response = client.get(location, stream=True)
            data = bytearray()
            for chunk in read_body(response, location, MAX_PAGE_BYTES,
                                   f"{location} : page de catalogue de plus de 50 Mo, refusée."):
                data += chunk
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        else:
            path = Path(location)
            check_file(path)
            if path.stat().st_size > MAX_PAGE_BYTES:
                raise UnusableInput(f"{path.name} : catalogue de plus de 50 Mo, refusé.")
            data, content_type = bytearray(path.read_bytes()), ""
        refuse_html_page(bytes(data[:1024]), shown_name(location), "DCAT")  # whatever its address or Content-Type says
        refuse_binary(bytes(data[:1024]), shown_name(location))
        fmt = self.options.get("rdf_format") or _rdf_format(content_type, location, bytes(data[:512]))
        return parse_rdf(bytes(data), fmt, location)

    # -- the job -------------------------------------------------------------------------------

    def run_job(self, *, source: str | None = None, settings: Settings | None = None, dry_run: bool = False,
                force: bool = False, progress: bool = False, **_: Any) -> JobSummary:
        """Read the catalog and register its datasets as sources, as one harvest job."""
        settings = settings or load_settings()
        engine = get_engine(settings)
        policy = source_policy(engine, source or self.default_source, settings)
        try:
            job_id = start_job(engine, self, policy.name, dry_run=dry_run, force=force)
        except NotStarted as not_started:
            return not_started.summary(self, policy.name, dry_run)
        run = _CatalogRun(self, policy.name, policy.archive_threshold, force=force)
        # As for records (harvesters.engine.harvest): a second run at once would disable the
        # sources the first is registering; the later one gives way.
        busy = None if dry_run else earlier_active_job(engine, policy.name, job_id)
        if busy is not None:
            run.status, run.refused, run.message = FAILED, True, already_running(policy.name, busy)
            groups = run.finish(engine, job_id, dry_run)
            return JobSummary(job_id, policy.name, self.format, run.status, dry_run, [], dict(run.counts),
                              run.message, groups, refused=True)

        def register(conn, transaction) -> None:
            if reason := self.missing_token():
                raise UnusableInput(reason)
            if schedule := self.options.get("schedule"):
                try:  # given to every source it registers: refused before the first, not stored unread
                    parse_schedule(str(schedule))
                except ValueError as exc:
                    raise UnusableInput(f"Option schedule : {exc}") from None
            run.execute(conn)
            if dry_run:
                transaction.rollback()
                run.message = "Essai à blanc : aucune source n'a été enregistrée."
            else:
                transaction.commit()
            run.status = DONE_WITH_ERRORS if run.counts["invalid"] else DONE

        try:
            in_transaction(engine, job_id, run, register, unchanged="Aucune source n'a été modifiée.")
        finally:
            groups = run.finish(engine, job_id, dry_run)
        return JobSummary(job_id, policy.name, self.format, run.status, dry_run, [], dict(run.counts),
                          run.message, groups)


class _CatalogRun:
    def __init__(self, harvester: DcatHarvester, catalog: str, threshold: float, *, force: bool) -> None:
        self.harvester = harvester
        self.catalog = catalog
        self.prefix = _slug(str(harvester.options.get("prefix") or catalog))
        self.threshold = threshold
        self.force = force
        self.refused = False  # not run: another run of the catalog was under way
        self.now = utcnow()
        # As a records' job counts (harvesters.engine.COUNT_NAMES): a distribution left aside (no
        # schema we read, a PDF) is a warning, so that « 0 avec avertissement » never tops its list.
        self.counts = dict.fromkeys(COUNT_NAMES, 0)
        self.report = ReportSpool()
        self.status = RUNNING
        self.message: str | None = None
        self.position = 0
        # Source name → the distribution it was given to in this run: two datasets whose keys
        # slug alike (URIs ending in the same « #dataset ») must not make one source of two.
        self.claimed: dict[str, tuple[str, str]] = {}  # name → (distribution, its dataset)

    def execute(self, conn) -> None:
        mine = {s.name: s for s in list_sources(conn) if (s.options.get("dcat") or {}).get("catalog") == self.catalog}
        seen: set[str] = set()
        for dataset in self.harvester.datasets():
            self.position += 1
            self.counts["read"] += 1
            self._register(conn, dataset, seen)
        if self.harvester.complete:
            self._disable_vanished(conn, mine, seen)
        elif self.harvester.short_read:
            self.message = self.harvester.short_read
        elif self.harvester.pages:
            self.message = ("Catalogue local avec pages suivantes non lues : aucune source n'a été désactivée.")

    def _register(self, conn, dataset: Dataset, seen: set[str]) -> None:
        reference = f"jeu de données {dataset.uri}"
        if not dataset.distributions:
            self._line(reference, "ignored", "distribution", None, "no-distribution",
                       "Non moissonnable : le jeu de données n'a aucune distribution.")
            return
        decisions = kept_distributions(dataset)
        harvestable = [d for d in decisions if d.format and not d.reason]
        for decision in decisions:
            where = f"{reference}, distribution {decision.distribution.uri}"
            if decision.reason:
                self._line(where, "ignored", "distribution", None, decision.code, decision.reason)
                continue
            name = source_name(self.prefix, dataset, decision, several=len(harvestable) > 1)
            collision = None
            first = self.claimed.get(name)
            if first is not None and first[0] != decision.distribution.uri:
                unique = distinct_name(name, decision.distribution.uri)
                collision = (f"Le nom « {name} » est déjà pris dans ce catalogue par le jeu de données {first[1]} : "
                             f"cette distribution est enregistrée sous « {unique} » (donnez à chaque jeu de données "
                             "un dct:identifier distinct).")
                name = unique
            self.claimed[name] = (decision.distribution.uri, dataset.uri)
            seen.add(name)
            self._upsert(conn, dataset, decision, name, where, several=len(harvestable) > 1, collision=collision)

    def _upsert(self, conn, dataset: Dataset, decision: Decision, name: str, where: str, *, several: bool,
                collision: str | None = None) -> None:
        dist = decision.distribution
        origin = {"catalog": self.catalog, "dataset": dataset.uri, "distribution": dist.uri,
                  "publisher": dataset.publisher, "licence": dist.licence or dataset.licence,
                  "media_type": dist.media_type, "conforms_to": dist.conforms_to or dataset.conforms_to}
        title = dataset.title + (f" — {dist.title}" if several and dist.title else "")
        code, message = ("name-collision", collision) if collision else (None, None)
        existing = get_source(conn, name)
        if existing is not None and (existing.options.get("dcat") or {}).get("catalog") != self.catalog:
            self.counts["invalid"] += 1
            self._line(where, "invalid", "source", name, "name-taken",
                       f"Le nom « {name} » est déjà celui d'une autre source : distribution non enregistrée "
                       "(choisissez un autre préfixe : --option prefix=…).")
            return
        if existing is None:
            spec = SourceSpec(name=name, format=decision.format or "", location=dist.url or "", title=title,
                              schedule=self.harvester.options.get("schedule") or None,
                              options=decision.options | {"dcat": origin})
        else:
            previous = existing.options.get("dcat") or {}
            options = {k: v for k, v in existing.options.items() if k != "dcat"} | decision.options
            spec = existing
            if spec.credentials_ref and site_of(dist.url or "") != site_of(spec.location):
                # The operator named that token for the site the source was on; the catalog, a
                # third party's document, has just moved it: the token does not follow.
                notice = (f"Jeton retiré : la distribution a quitté {spec.location} pour {dist.url}, sur un autre "
                          f"site ; la variable {spec.credentials_ref} n'y sera pas envoyée. Si ce site est aussi "
                          f"celui du partenaire : maillage sources add {name} {decision.format} {dist.url} "
                          f"--token-env {spec.credentials_ref}")
                code, message = "token-dropped", " ".join(filter(None, (collision, notice)))
                spec.credentials_ref = None
            spec.format, spec.location, spec.title = decision.format or "", dist.url or "", title
            if previous.get("disabled_by_catalog"):
                spec.enabled = True  # it is published again (and was disabled by us, not by a person)
            spec.options = options | {"dcat": origin}
        outcome = upsert_source(conn, spec)
        self.counts[outcome] += 1
        if outcome != "unchanged" or message:
            self._line(where, outcome, "source", name, code, message)

    def _disable_vanished(self, conn, mine: dict[str, SourceSpec], seen: set[str]) -> None:
        gone = [spec for name, spec in sorted(mine.items()) if name not in seen and spec.enabled]
        active = sum(1 for spec in mine.values() if spec.enabled)
        if active and len(gone) / active > self.threshold and not self.force:
            self.counts["missing"] = len(gone)
            raise HeldForReview(
                f"Exécution suspendue pour vérification : {len(gone)} source(s) sur {active} enregistrées depuis ce "
                f"catalogue n'y figurent plus ({len(gone) / active * 100:.0f} %), au-delà du seuil de "
                f"{self.threshold * 100:.0f} %. Rien n'a été modifié. Après vérification, relancez avec --force."
            )
        for spec in gone:
            spec.enabled = False
            spec.options = spec.options | {"dcat": (spec.options.get("dcat") or {}) | {
                "disabled_by_catalog": True, "missing_since": self.now.isoformat()}}
            upsert_source(conn, spec)
            self.counts["archived"] += 1
            self._line(f"source {spec.name}", "archived", "source", spec.name, None, None)

    def _line(self, reference: str, status: str, kind: str, name: str | None, code: str | None,
              message: str | None) -> None:
        from catalog.validation import Problem

        # The reference and message quote the catalog's own text (a distribution's URL): cleaned
        # as records are, so that no escape sequence reaches an operator's terminal or CSV.
        problems = [Problem(None, code, clean_text(message or ""))] if code else []
        if status == "ignored":
            self.counts["warnings"] += 1
        self.report.add(position=self.position, kind=kind, record_id=name, reference=clean_text(reference), status=status,
                        problems=problems)

    def finish(self, engine, job_id: int, dry_run: bool) -> list:
        if self.status == RUNNING:
            self.status = FAILED
        self.message, groups = close_job(engine, job_id, status=self.status, message=self.message,
                                         counts=self.counts, kinds=[], report=self.report,
                                         source=None if dry_run or self.refused else self.catalog)
        return groups


# -- parsing ---------------------------------------------------------------------------------

def parse_rdf(data: bytes, fmt: str, location: str) -> Graph:
    """An RDF graph from untrusted bytes, with nothing resolved or fetched along the way."""
    graph = Graph()
    name = shown_name(location)
    try:
        with _quiet_rdflib_terms():
            if fmt == "xml":
                _check_xml(data, name)
                graph.parse(data=data, format="xml", publicID=location)
            elif fmt == "json-ld":
                graph.parse(data=_safe_jsonld(data, name), format="json-ld", publicID=location)
            elif fmt in ("turtle", "nt"):
                graph.parse(data=data.decode("utf-8-sig"), format=fmt, publicID=location)
            else:
                raise UnusableInput(f"{name} : format RDF « {fmt} » non pris en charge.")
    except UnusableInput:
        raise
    except UnicodeDecodeError as exc:
        refuse_not_utf8(io.BytesIO(data), name, exc, "enregistrez-le en UTF-8.")  # cut, or another encoding
    except Exception as exc:  # rdflib raises many kinds (BadSyntax, SAXParseException, ValueError…)
        raise UnusableInput(f"{name} : DCAT illisible en {_FORMAT_LABELS.get(fmt, fmt)} "
                            f"({_rdf_detail(exc)}).") from exc
    return graph


@contextmanager
def _quiet_rdflib_terms() -> Iterator[None]:
    """rdflib logs « … does not look like a valid URI » in English on stderr for each malformed
    address; the run's report says it in French, for the distributions it concerns (`decide`)."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _rdf_detail(exc: Exception) -> str:
    """Where and why rdflib stopped, on one line."""
    if isinstance(exc, BadSyntax):  # its text starts « at line 33 of <>: » and says why on the next lines
        if str(exc._why).startswith("EOF found"):
            return f"ligne {exc.lines + 1} : le document s'arrête avant sa fin, fichier tronqué ? ({exc._why})"[:300]
        return f"ligne {exc.lines + 1} : {exc._why}"[:300]
    if isinstance(exc, (IndexError, KeyError)):  # the Turtle parser runs off the end of a cut document
        return "document tronqué ou mal formé"
    if isinstance(exc, RecursionError):  # the Turtle parser descends into [ … ] and ( … ) recursively
        return "nœuds anonymes ou listes imbriqués trop profondément"
    return parser_detail(exc)[:300]


_FORMAT_LABELS = {"turtle": "Turtle", "xml": "RDF/XML", "json-ld": "JSON-LD", "nt": "N-Triples"}


def _check_xml(data: bytes, location: str) -> None:
    # Refused before any parser runs (lxml would otherwise still build internal entities).
    if re.search(rb"<!DOCTYPE", data[:1 << 16].replace(b"\x00", b""), re.IGNORECASE):
        raise UnusableInput(f"{location} : RDF/XML avec une déclaration DOCTYPE (entités) refusé par sécurité.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             dtd_validation=False)
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        raise UnusableInput(f"{location} : RDF/XML mal formé ({exc}).") from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnusableInput(f"{location} : RDF/XML avec une déclaration DOCTYPE (entités) refusé par sécurité.")


def _safe_jsonld(data: bytes, location: str) -> str:
    try:
        document = orjson.loads(data.removeprefix(codecs.BOM_UTF8))  # as Turtle, read as « utf-8-sig »
    except orjson.JSONDecodeError as exc:
        raise UnusableInput(f"{location} : JSON-LD mal formé ({exc}).") from exc
    refuse_too_deep(document, location)  # before the walks below and rdflib's, all recursive
    remote = _remote_contexts(document)
    if remote:
        raise UnusableInput(
            f"{location} : contexte JSON-LD distant ({remote[0]}) : Maillage ne charge pas de contexte distant "
            "(sécurité) ; publiez le contexte dans le document (« @context » en ligne)."
        )
    return orjson.dumps(document).decode()


def _remote_contexts(node: Any) -> list[str]:
    """Context references a JSON-LD processor would fetch (strings in `@context`, `@import`)."""
    found: list[str] = []
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "@context":
                    for context in item if isinstance(item, list) else [item]:
                        if isinstance(context, str):
                            found.append(context)
                        elif isinstance(context, dict):
                            if isinstance(context.get("@import"), str):
                                found.append(context["@import"])
                            stack.append(context)
                else:
                    stack.append(item)
    return found


def _rdf_format(content_type: str, location: str, head: bytes) -> str:
    if RDF_FORMATS.get(content_type):
        return RDF_FORMATS[content_type]  # type: ignore[return-value]
    suffix = PurePosixPath(urlsplit(location).path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"{", b"[")):
        return "json-ld"
    if stripped.startswith(b"<") and not stripped.startswith(b"<http"):
        if b"<html" in stripped.lower()[:300] or b"<!doctype html" in stripped.lower()[:300]:
            raise UnusableInput(f"{shown_name(location)} : page HTML, pas un catalogue DCAT.")
        return "xml"
    return "turtle"


def _refuse_other_site(page: str, first: str) -> None:
    """A next page is read on the catalog's own site, as securely as the first: the catalog's
    token (sent with every page) must not go to whatever address a page names, nor in clear."""
    here, there = urlsplit(first), urlsplit(page)
    if site_of(page) is None or site_of(page) != site_of(first) or (here.scheme == "https" and there.scheme != "https"):
        raise UnusableInput(f"Lien de page suivante vers un autre site refusé ({page}) : les pages d'un catalogue "
                            f"sont lues sur son site ({here.scheme}://{here.netloc}), que son jeton d'accès ne "
                            "quitte pas.")


def _total_items(graph: Graph, location: str) -> int | None:
    """The `hydra:totalItems` a first page announces for its collection, None if it says none."""
    value = next(graph.objects(None, HYDRA.totalItems), None)
    if value is None:
        return None
    return paging.announced({"hydra:totalItems": value.toPython() if isinstance(value, Literal) else str(value)},
                            "hydra:totalItems", location)


def _next_page(graph: Graph, location: str) -> str | None:
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for view in graph.subjects(predicate, None):
            target = graph.value(view, predicate)
            if isinstance(target, URIRef | Literal):
                return urljoin(location, str(target))
    return None


# -- reading datasets ------------------------------------------------------------------------

def extract_datasets(graph: Graph) -> Iterator[Dataset]:
    # Typed datasets, and those a catalog lists without typing them (a common shortcut).
    found = set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.objects(None, DCAT.dataset))
    for uri in sorted(found, key=str):
        dataset = Dataset(
            uri=str(uri) if isinstance(uri, URIRef) else f"jeu-de-donnees:{_literal(graph, uri, DCTERMS.identifier) or _literal(graph, uri, DCTERMS.title)}",
            key=_literal(graph, uri, DCTERMS.identifier) or _last_segment(uri if isinstance(uri, URIRef) else
                                                                        _literal(graph, uri, DCTERMS.title) or ""),
            title=_literal(graph, uri, DCTERMS.title) or _last_segment(uri),
            publisher=_agent(graph, graph.value(uri, DCTERMS.publisher)),
            licence=_term(graph, graph.value(uri, DCTERMS.license)),
            conforms_to=_standards(graph, uri),
        )
        for dist in sorted(set(graph.objects(uri, DCAT.distribution)), key=str):
            urls = [str(u) for u in graph.objects(dist, DCAT.downloadURL)] or \
                   [str(u) for u in graph.objects(dist, DCAT.accessURL)]
            url = min(urls) if urls else None
            dataset.distributions.append(Distribution(
                # A blank node's name changes at every parse: name it after its dataset and URL instead.
                uri=str(dist) if isinstance(dist, URIRef) else f"{dataset.uri}#distribution:{url or 'sans-adresse'}",
                url=url,
                title=_literal(graph, dist, DCTERMS.title) or "",
                media_type=_media_type(graph, dist),
                licence=_term(graph, graph.value(dist, DCTERMS.license)),
                conforms_to=_standards(graph, dist),
            ))
        yield dataset


def _literal(graph: Graph, subject, predicate) -> str | None:
    """A text value, French first (`fr`, `fr-FR`, `FR`: BCP 47 tags ignore case), then without
    language, then English, then any; among equals, the same one at every run (a graph's
    order is not)."""
    values = [v for v in graph.objects(subject, predicate) if isinstance(v, Literal)]
    if not values:
        return None
    return clean_text(str(min(values, key=lambda v: (_language_rank(v.language), str(v))))).strip()


def _language_rank(tag: str | None) -> int:
    language = (tag or "").lower().split("-")[0]
    return {"fr": 0, "": 1, "en": 2}.get(language, 3)


def _term(graph: Graph, node) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef | Literal):
        return clean_text(str(node))  # Turtle and JSON-LD can spell a NUL (\u0000) in any string
    return _literal(graph, node, DCTERMS.title) or _literal(graph, node, RDFS.label) or \
        _literal(graph, node, DCTERMS.identifier)


def _agent(graph: Graph, node) -> str | None:
    if node is None:
        return None
    for predicate in (FOAF.name, SKOS.prefLabel, RDFS.label, DCTERMS.title):
        name = _literal(graph, node, predicate)
        if name:
            return name
    return str(node) if not isinstance(node, BNode) else None


def _standards(graph: Graph, subject) -> list[str]:
    """The schemas a dataset or distribution conforms to: their addresses and identifiers."""
    found: list[str] = []
    for node in graph.objects(subject, DCTERMS.conformsTo):
        if not isinstance(node, BNode):
            found.append(str(node))
        for predicate in (DCTERMS.identifier, FOAF.homepage, RDFS.seeAlso, DCTERMS.title, RDFS.label):
            found.extend(str(v) for v in graph.objects(node, predicate))
    return sorted(set(found))


def _media_type(graph: Graph, dist) -> str | None:
    for predicate in (DCAT.mediaType, DCTERMS.format):
        node = graph.value(dist, predicate)
        if node is None:
            continue
        text = _term(graph, node) or ""
        # IANA (…/media-types/text/csv) and EU file-type (…/file-type/CSV) IRIs: keep the meaningful end.
        match = re.search(r"media-types/(.+)$", text) or re.search(r"file-type/(.+)$", text)
        return (match.group(1) if match else text).lower() or None
    return None


def _last_segment(node) -> str:
    text = str(node).rstrip("/#")
    return re.split(r"[/#:]", text)[-1] or hashlib.blake2b(text.encode(), digest_size=4).hexdigest()


# -- deciding ------------------------------------------------------------------------------

def decide(dataset: Dataset, dist: Distribution) -> Decision:
    """The Maillage format that reads a distribution, or why none does."""
    from harvesters.frictionless_package import _kind_from_address

    decision = Decision(dist)
    standards = dist.conforms_to or dataset.conforms_to
    if not dist.url:
        decision.code, decision.reason = "no-url", "Non moissonnable : aucune adresse (dcat:downloadURL ni dcat:accessURL)."
        return decision
    if not is_url(dist.url):
        decision.code, decision.reason = "no-url", f"Non moissonnable : adresse « {dist.url} » qui n'est pas en http(s)."
        return decision
    if problem := url_problem(dist.url):
        # Not guessed (encoded) into a source's location: the catalog is to be mended.
        decision.code, decision.reason = "bad-url", f"Non moissonnable : adresse mal formée, {problem}."
        return decision
    if not standards:
        decision.code, decision.reason = "no-schema", "Non moissonnable : aucun schéma déclaré (dct:conformsTo)."
        return decision
    for standard in standards:
        kind = _kind_from_address(standard)
        if kind:
            decision.format, decision.options, decision.group = "frictionless", {"kind": kind}, f"frictionless:{kind}"
            break
        for pattern, format_name in SCHEMA_FORMATS:
            if pattern.search(standard):
                decision.format, decision.group = format_name, format_name
                break
        if decision.format:
            break
    if decision.format is None:
        decision.code = "unsupported-schema"
        decision.reason = f"Non moissonnable : schéma non pris en charge ({', '.join(standards[:3])})."
    elif decision.format not in FORMATS:
        decision.code = "format-not-installed"
        decision.reason = (f"Non moissonnable ici : le format « {decision.format} » n'est pas installé dans cette "
                           "version de Maillage.")
    elif decision.format == "datainclusion":
        # data·inclusion publishes structures and services as two distributions of one dataset.
        text = f"{dist.url} {dist.title}".lower()
        decision.group += ":structure" if "structure" in text else ":service" if "service" in text else ""
    return decision


def kept_distributions(dataset: Dataset) -> list[Decision]:
    """One decision per distribution; of those carrying the same data, all but one are set aside."""
    decisions = [decide(dataset, dist) for dist in dataset.distributions]
    best: dict[str, Decision] = {}
    for decision in decisions:
        if decision.reason:
            continue
        current = best.get(decision.group)
        if current is None or _rank(decision) < _rank(current):
            best[decision.group] = decision
    for decision in decisions:
        if not decision.reason and best[decision.group] is not decision:
            kept = best[decision.group].distribution
            decision.code = "duplicate-distribution"
            decision.reason = (f"Non enregistrée : mêmes données que la distribution {kept.uri} "
                               f"({kept.media_type or 'format non précisé'}), préférée.")
    return decisions


def _rank(decision: Decision) -> tuple[int, str]:
    media = (decision.distribution.media_type or "") + " " + PurePosixPath(
        urlsplit(decision.distribution.url or "").path).suffix.lower()
    position = next((n for n, word in enumerate(MEDIA_PREFERENCE) if word in media), len(MEDIA_PREFERENCE))
    return position, decision.distribution.uri


def source_name(prefix: str, dataset: Dataset, decision: Decision, *, several: bool) -> str:
    name = f"{prefix}-{_slug(dataset.key)}"
    if several:
        dist = decision.distribution
        suffix = decision.group.split(":")[-1] if ":" in decision.group else ""
        name += "-" + _slug(suffix or dist.title or _last_segment(dist.uri))
    if len(name) > 100:
        digest = hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
        name = name[:91].rstrip("-") + "-" + digest
    return name


def distinct_name(name: str, distribution_uri: str) -> str:
    """`name` made unique by a digest of the distribution's address: stable from run to run."""
    digest = hashlib.blake2b(distribution_uri.encode(), digest_size=4).hexdigest()
    return name[:91].rstrip("-") + "-" + digest


def _slug(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "sans-nom"
