"""Aides-territoires (https://aides-territoires.beta.gouv.fr) API → `aide`.

What the API is (MTES-MCT/aides-territoires-symfony: `src/Controller/Api/Aid/AidController.php`,
`ApiController.php`, `Security/TokenAuthenticator.php`, `config/packages/security.yaml`):

- Authentication: every `/api/` route needs a JWT. The API token of an Aides-territoires
  account is exchanged for it: `POST /api/connexion/` with the header `X-AUTH-TOKEN: <jeton>`
  answers `{"token": "<JWT>"}` (the Lexik JWT success handler); later calls send
  `Authorization: Bearer <JWT>`. A refused token answers 401 `{"message": ...}`.
- Aids: `GET /api/aids/` → `{"count", "previous", "next", "results": [...]}`, `page` from 1,
  `itemsPerPage` at most 100 (the older `size` too); `next` is the absolute URL of the next page
  (null on the last one) and keeps the query's filters. Only published aids are listed; one
  listed with `is_live: false` is reported and treated as absent (archived after the grace).
  The old `targeted_audiences` filter (slugified to an organisation type) keeps the aids for
  private persons: `targeted_audiences=private_person` is our default, since our `aide` schema
  describes aids to people; the option `filtres` replaces it (`{}` for every aid).
- An aid's territory is a name: `perimeter` (e.g. « Auvergne-Rhône-Alpes ») with
  `perimeter_scale` (« Commune », « EPCI », « Département », « Région », « Pays », « Continent »,
  « Outre-mer », « Métropole », « Ad-hoc », « Bassin hydrographique »). Codes come from
  `GET /api/perimeters/?q=<nom>&scale=<slug>` → `results: [{id, name, scale, code, zipcodes}]`,
  asked once per perimeter per run: a commune's code is its INSEE code, an EPCI's its SIREN.

Assumptions (no recorded exchange with the live API was available): the JWT lives long enough
for one run (the Lexik default is an hour; a 401 mid-run fails the run, changing nothing); a
perimeter name that matches several perimeters of its scale (homonymous communes) is left
unresolved rather than guessed; an ad-hoc perimeter or a river basin has no COG code.

Mapping: `id` → `id`; `name` → `nom`; `description` (HTML) → `description`, with the financers
and instructors; `eligibility` (HTML) + `targeted_audiences` + the perimeter → `conditions_texte`
(the API has no structured conditions); `aid_types` → `type_aide`; `financers[0]` →
`institution_nom`; `subvention_rate_*` → amounts in %, `loan_amount` /
`recoverable_advance_amount` → amounts in €, `subvention_comment` → `montant_texte`;
`application_url` (else `origin_url`) → `lien_demarche`; `url` (a path on the site) →
`lien_source`; `start_date` / `submission_deadline` → `date_debut` / `date_fin`;
`date_updated` (else `date_created`) → `date_maj`. `contact` is not harvested: it holds names,
personal e-mails and phone numbers in free text.

Paging safety: `next` links are followed only on the API's own host (the bearer token never
leaves it) and never twice; the run speaks for every aid of the source only when the last page
was reached and as many distinct aids were read as `count` announced.

Options: `source` (default `aides-territoires`), `filtres` (query parameters), `page_size`
(≤ 100), `resolve_perimeters` (default true). Credential: the account's API token
(`AIDES_TERRITOIRES_API_TOKEN`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import orjson

from catalog.clock import utcnow
from catalog.errors import UnusableInput
from catalog.records import qualified_id
from catalog.validation import Problem
from harvesters import aides_zones as zones
from harvesters.aides_conditions import Eligibility
from harvesters.aides_notes import AidNotes, eligibility_warnings
from harvesters.aides_text import capped, http_url, option_flag, safe_text, texts, to_date
from harvesters.base import Harvester, Item
from harvesters.http import HttpClient, site_of
from harvesters.paging import announced, refuse_endless

DEFAULT_FILTERS = {"targeted_audiences": "private_person"}
MAX_PAGE_SIZE = 100
MAX_NAME = 250
# Lookups with no answer at all before the perimeters endpoint is judged out of order: one or two
# unknown names are ordinary (a commune renamed), three and not a single answer are not.
PERIMETER_LOOKUPS_TO_JUDGE = 3
# `perimeter_scale` by its name, in lower case: the API has written « Commune » and « EPCI », and
# its newer code writes « commune » and « epci ».
SCALE_SLUGS = {
    "commune": "commune", "epci": "epci", "bassin hydrographique": "basin", "département": "department",
    "région": "region", "outre-mer": "overseas", "métropole": "mainland", "ad-hoc": "adhoc", "pays": "country",
    "continent": "continent",
}


def _scale_slug(scale: object) -> str | None:
    return SCALE_SLUGS.get(str(scale).strip().lower())


# aid_types names → our `type_aide`, in order of precedence when an aid has several.
AID_TYPES = [
    ("subvention", "subvention"), ("prêt", "pret"), ("avance", "avance-remboursable"),
    ("certificat d'économie", "prise-en-charge"), ("ingénierie", "accompagnement"), ("autre aide financière", "autre"),
]


class AidesTerritoiresHarvester(Harvester):
    format: ClassVar[str] = "aides-territoires"
    kinds: ClassVar[tuple[str, ...]] = ("aide",)
    default_source: ClassVar[str] = "aides-territoires"
    credentials_env: ClassVar[str] = "AIDES_TERRITOIRES_API_TOKEN"
    credentials_hosts: ClassVar[tuple[str, ...]] = ("aides-territoires.beta.gouv.fr",)

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.source = str(self.options.get("source") or self.default_source)
        self.notes = AidNotes()
        self._covered: tuple[str, ...] = ()
        self._count: int | None = None
        self._perimeters: dict[tuple[str, str], tuple[list[str], bool]] = {}
        self._perimeter_lookups = self._perimeter_answers = 0

    def covered_kinds(self) -> tuple[str, ...]:
        return self._covered

    def run_notes(self) -> list[str]:
        return self.notes.sentences()

    def progress_total(self) -> int | None:
        return self._count

    def progress_done(self) -> int | None:
        return self.notes.found

    # -- the API ---------------------------------------------------------------------------------

    def items(self) -> Iterator[Item]:
        base = _api_base(self.location)
        client = HttpClient()
        self._authenticate(client, base)
        self.client, self.base = client, base
        size, filters = self._paging_options()
        url: str | None = f"{base}/api/aids/"
        params: dict[str, Any] | None = {**filters, "itemsPerPage": size}
        visited: set[str] = set()
        seen: set[str] = set()
        page = 0
        while url:
            page += 1
            refuse_endless(page, url)
            body = client.get_json(url, params)
            params = None  # `next` carries the query
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise UnusableInput(f"{url} (page {page}) : réponse inattendue (pas de liste « results »).")
            if self._count is None:
                # « 4 » as well as 4: a count the guard below cannot read would let a short read archive.
                self._count = announced(body, "count", f"{url} (page {page})")
            for rank, aid in enumerate(body["results"], start=1):
                self.notes.found += 1
                if isinstance(aid, dict) and aid.get("id") not in (None, ""):
                    seen.add(str(aid["id"]))
                yield self._item(aid, f"page {page}, aide {rank}")
            visited.add(url)
            url = self._next_page(body.get("next"), base, visited)
        self._check_perimeter_answers(base)
        if self._count is None or len(seen) >= self._count:
            self._covered = ("aide",)
        else:
            self.notes.remarks[f"{len(seen)} aides lues sur {self._count} annoncées : pages décalées pendant la "
                               "lecture ? Aucune aide n'est archivée après cette exécution"] += 1

    def _paging_options(self) -> tuple[int, dict[str, Any]]:
        """`page_size` and `filtres`, from sources.json (numbers, objects) or the CLI (text, JSON text)."""
        try:
            size = max(1, min(int(self.options.get("page_size", MAX_PAGE_SIZE)), MAX_PAGE_SIZE))
            filters = self.options.get("filtres", DEFAULT_FILTERS)
            filters = orjson.loads(filters) if isinstance(filters, str) else filters
            self.resolve_perimeters = option_flag(self.options.get("resolve_perimeters"), default=True)
        except (TypeError, ValueError) as exc:
            raise UnusableInput(f"Options de la source illisibles ({exc}).") from None
        if not isinstance(filters, dict):
            raise UnusableInput("Option filtres : un objet JSON de paramètres de requête est attendu.")
        return size, filters

    def _authenticate(self, client: HttpClient, base: str) -> None:
        if not self.credentials:
            raise UnusableInput(f"Jeton d'API Aides-territoires manquant : renseignez {self.token_hint()}, avec le "
                                "jeton de votre compte.")
        url = f"{base}/api/connexion/"
        response = client.post(url, headers={"X-AUTH-TOKEN": self.credentials})
        if response.status_code in (401, 403):
            raise UnusableInput(f"Jeton d'API refusé par Aides-territoires ({url}, HTTP {response.status_code}) : "
                                "vérifiez le jeton de la source.")
        if response.status_code >= 400:
            raise UnusableInput(f"{url} a répondu HTTP {response.status_code}.")
        try:
            token = orjson.loads(response.content).get("token")
        except (orjson.JSONDecodeError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise UnusableInput(f"{url} : réponse sans jeton (« token ») ; l'API a peut-être changé.")
        client.session.headers["Authorization"] = f"Bearer {token}"

    @staticmethod
    def _next_page(next_url: Any, base: str, visited: set[str]) -> str | None:
        if not next_url:
            return None
        url = urljoin(base + "/", str(next_url))
        if site_of(url) != site_of(base) or urlsplit(url).scheme.lower() != urlsplit(base).scheme.lower():
            raise UnusableInput(f"Lien de page suivante vers un autre site refusé ({url}) : le jeton "
                                "d'accès ne doit pas quitter Aides-territoires.")
        if url in visited:
            raise UnusableInput(f"Pagination en boucle : la page {url} a déjà été lue.")
        return url

    # -- one aid ---------------------------------------------------------------------------------

    def _item(self, aid: Any, reference: str) -> Item:
        if not isinstance(aid, dict) or aid.get("id") in (None, ""):
            self.notes.reject(reference, "aide sans identifiant")
            return Item("aide", None, reference=reference,
                        problems=[Problem("id", "non-moissonnee", f"{reference} : aide sans identifiant (id).")])
        aid_id = str(aid["id"])
        reference = f"{reference} (id {aid_id})"
        if aid.get("is_live") is False:
            # Unpublished (withdrawn by its author): absent from the source, not defective. No
            # id_hint, so a record of it published before ages out after the grace period.
            reason = ("aide non publiée (is_live: false) : traitée comme absente de la source, sa fiche "
                      "éventuelle sera archivée après le délai de grâce.")
            self.notes.reject(reference, reason)
            return Item("aide", None, reference=reference, problems=[Problem(None, "non-publiee", f"{reference} : {reason}")])
        if not str(aid.get("name") or "").strip():
            reason = "aide sans nom (name)."
            self.notes.reject(reference, reason)
            return Item("aide", None, reference=reference, id_hint=qualified_id(self.source, aid_id),
                        problems=[Problem(None, "non-moissonnee", f"{reference} : {reason}")])
        zone, exact = self._zone(aid)
        row, eligibility = map_aid(aid, source=self.source, site=self.base, zone=zone)
        self.notes.record(eligibility, row, exact_zone=exact)
        return Item("aide", row, reference=reference, warnings=eligibility_warnings(eligibility))

    def _zone(self, aid: dict) -> tuple[list[str], bool]:
        name, scale = str(aid.get("perimeter") or "").strip(), str(aid.get("perimeter_scale") or "").strip()
        if not name:
            return [], False
        key = (name, scale)
        if key not in self._perimeters:
            self._perimeters[key] = self._resolve(name, scale)
            if not self._perimeters[key][0]:
                self.notes.remarks[f"périmètre sans code COG : {name} ({scale or 'échelle inconnue'})"] += 1
        return self._perimeters[key]

    def _check_perimeter_answers(self, base: str) -> None:
        """A perimeters endpoint that answers nothing at all (emptied, or half broken) would strip
        every communal, intercommunal, départemental and régional aid of its territory: the run
        fails instead, and the published aids keep theirs."""
        if self._perimeter_lookups >= PERIMETER_LOOKUPS_TO_JUDGE and not self._perimeter_answers:
            raise UnusableInput(
                f"{base}/api/perimeters/ n'a rien répondu pour aucun des {self._perimeter_lookups} périmètres cherchés "
                "(communes, EPCI, départements, régions) : service des périmètres indisponible ? Les aides n'ont pas "
                "été mises à jour, pour ne pas leur ôter leur territoire.")

    def _resolve(self, name: str, scale: str) -> tuple[list[str], bool]:
        slug = _scale_slug(scale)
        if slug == "country":
            return ([zones.FRANCE], True) if name.lower() == "france" else ([], False)
        if slug == "continent":
            return ([zones.FRANCE], False) if name.lower() == "europe" else ([], False)
        if slug in ("mainland", "overseas"):
            return list(zones.departements_of("métropole" if slug == "mainland" else "outre-mer")), True
        if slug not in ("commune", "epci", "department", "region") or not self.resolve_perimeters:
            return [], False
        body = self.client.get_json(f"{self.base}/api/perimeters/", {"q": name, "scale": slug, "itemsPerPage": 100})
        results = body.get("results") if isinstance(body, dict) else None
        self._perimeter_lookups += 1
        self._perimeter_answers += bool(results)
        codes = {str(r.get("code")) for r in (results if isinstance(results, list) else [])
                 if isinstance(r, dict) and str(r.get("name", "")).casefold() == name.casefold()
                 and (r.get("scale") is None or _scale_slug(r["scale"]) == slug) and r.get("code")}
        if len(codes) != 1:
            return [], False  # unknown or ambiguous (homonymous communes): not guessed
        code = codes.pop()
        found: list[str] | None
        if slug == "commune":
            found = [c for c in [zones.commune_code(code)] if c]
        elif slug == "epci":
            found = [c for c in [zones.siren(code)] if c]
        elif slug == "department":
            found = [c for c in [zones.departement_code(code)] if c]
        else:
            found = list(zones.region_departements(code) or [])
        return found, bool(found)


def map_aid(aid: dict, *, source: str, site: str, zone: list[str]) -> tuple[dict[str, Any], Eligibility]:
    eligibility = Eligibility()
    audiences = texts(aid.get("targeted_audiences"))
    if audiences:
        eligibility.sentence("bénéficiaires : " + ", ".join(audiences))
    if aid.get("perimeter"):
        scale = f" ({aid['perimeter_scale']})" if aid.get("perimeter_scale") else ""
        eligibility.sentence(f"territoire couvert : {aid['perimeter']}{scale}")
    eligibility.source_text(safe_text(aid.get("eligibility")))
    financers = texts(aid.get("financers"))
    instructors = texts(aid.get("instructors"))
    description = safe_text(aid.get("description")) or ""
    actors = (["Financeurs : " + ", ".join(financers) + "."] if financers else []) + \
             (["Instructeurs : " + ", ".join(instructors) + "."] if instructors else [])
    if actors:
        description = (description + "\n\n" if description else "") + " ".join(actors)
    updated = to_date(aid.get("date_updated")) or to_date(aid.get("date_created"))
    row: dict[str, Any] = {
        "source": source,
        "id": str(aid["id"]),
        "nom": _name(aid),
        "description": capped(description) or None,
        "type_aide": _aid_type(texts(aid.get("aid_types"))),
        "institution_nom": financers[0] if financers else None,
        "zone_eligibilite": zone or None,
        "conditions": eligibility.conditions(),
        "conditions_texte": eligibility.text(),
        "lien_demarche": http_url(aid.get("application_url")) or http_url(aid.get("origin_url")),
        "lien_source": http_url(urljoin(site + "/", str(aid["url"]))) if aid.get("url") else None,
        "date_debut": to_date(aid.get("start_date")),
        "date_fin": to_date(aid.get("submission_deadline")),
        "date_maj": updated or utcnow().date(),
    }
    row.update(_amounts(aid))
    return {k: v for k, v in row.items() if v is not None}, eligibility


def _name(aid: dict) -> str:
    name = " ".join(str(aid.get("name")).split())
    if len(name) <= MAX_NAME:
        return name
    short = " ".join(str(aid.get("short_title") or "").split())
    if 3 <= len(short) <= MAX_NAME:
        return short
    return name[: MAX_NAME - 1].rsplit(" ", 1)[0] + "…"


def _aid_type(names: list) -> str | None:
    lowered = [str(n).lower() for n in names]
    for word, value in AID_TYPES:
        if any(word in n for n in lowered):
            return value
    return "autre" if lowered else None


def _amounts(aid: dict) -> dict[str, Any]:
    row: dict[str, Any] = {}
    low, high = aid.get("subvention_rate_lower_bound"), aid.get("subvention_rate_upper_bound")
    if _number(low) or _number(high):
        row["montant_unite"] = "pourcentage"
        if _number(low):
            row["montant_min"] = float(low)
        if _number(high):
            row["montant_max"] = float(high)
    else:
        for key in ("loan_amount", "recoverable_advance_amount"):
            if _number(aid.get(key)):
                row.update(montant_max=float(aid[key]), montant_unite="euros")
                break
    comment = safe_text(aid.get("subvention_comment"))
    if comment:
        row["montant_texte"] = comment
    return row


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _api_base(location: str) -> str:
    parts = urlsplit(location.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnusableInput(f"Adresse d'API Aides-territoires invalide : « {location} » "
                            "(ex. https://aides-territoires.beta.gouv.fr).")
    return f"{parts.scheme}://{parts.netloc}"
