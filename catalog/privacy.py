"""What of a record may be published: personal data stays out of open data and public pages.

Named people (`contact_nom_prenom`) are never published, and personal e-mail addresses (a
person's name at a consumer mail provider) neither, in the `courriel` field or written in a free
text ("écrire à camille.martin@gmail.com"), at any depth of the record (an aid's `conditions`).
A `courriel` written with a display name ("Camille Martin <accueil@asso.fr>") is published as
its bare address: the name is a person's more often than a desk's.

A partner's promise that a contact may be shown (data·inclusion v0's and DORA's
`contact_public`) is read by the harvester, at the only place it exists: it keeps the contact's
name, e-mail and phone under it, and drops them otherwise (`withhold_private_contact`). Our schemas
follow data·inclusion v1, which has no such field, so the promise never reaches a stored record
and cannot unlock the name at publication.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import schemas

PERSONAL_FIELDS = ("contact_nom_prenom",)
EMAIL_FIELDS = ("courriel",)
# What `contact_public` covers: the contact person's name and how to reach them.
CONTACT_FIELDS = ("contact_nom_prenom", "courriel", "telephone")
# `contact_public` true as a CSV cell writes it (frictionless' default true values).
TRUE_CELLS = ("true", "True", "TRUE", "1")
# Consumer mail providers: an address there is a person's, not an organisation's desk. Overseas
# ISPs are left out until their consumer domains are known for sure.
CONSUMER_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.fr", "live.fr", "live.com", "outlook.com",
    "outlook.fr", "msn.com", "yahoo.com", "yahoo.fr", "ymail.com", "orange.fr", "wanadoo.fr", "free.fr",
    "sfr.fr", "sfr.net", "neuf.fr", "cegetel.net", "club-internet.fr", "numericable.fr", "noos.fr",
    "aliceadsl.fr", "9online.fr", "libertysurf.fr", "voila.fr", "laposte.net", "bbox.fr", "icloud.com",
    "me.com", "mac.com", "aol.com", "mail.com", "gmx.fr", "gmx.com", "gmx.de", "gmx.net",
    "protonmail.com", "protonmail.ch", "proton.me", "pm.me", "yandex.ru", "yandex.com",
    # Belgium and Switzerland, where many people living near the border have their mail.
    "outlook.be", "hotmail.be", "live.be", "yahoo.be", "skynet.be", "hotmail.ch", "bluewin.ch",
    # Smaller French providers and webmails, and those of the other border countries.
    "nordnet.fr", "tiscali.fr", "aol.fr", "netcourrier.com", "mailo.com", "lavache.com",
    "caramail.com", "hotmail.co.uk", "yahoo.co.uk", "live.co.uk", "btinternet.com", "web.de", "t-online.de",
    "freenet.de", "libero.it", "hotmail.it", "yahoo.it", "alice.it", "tin.it", "yahoo.es", "hotmail.es",
    "telefonica.net", "pt.lu", "tutanota.com", "posteo.de", "posteo.net", "zoho.com", "gmx.at", "hotmail.de",
})
# "prenom.nom", "prenom-nom", "p.nom", "jean-luc.roy", "prenom.nom93", "prenom.nom.93": how
# people's addresses look, unlike "contact" or "accueil". A single word ("jdupont", "cafe93") is
# not judged personal: associations and small desks use such addresses as often as people do.
# Names in any alphabet, compound ones included: "anne-marie.de-la-fontaine", "lukasz.wałęsa",
# and with their apostrophe: "jean.d'almeida", "marie.o'connor".
_NAME = r"[^\W\d_]+(?:['’][^\W\d_]+)*"
PERSON_LOCAL_PART = re.compile(rf"^{_NAME}(?:[._-]{_NAME}){{1,5}}(?:[._-]?[0-9]+)?$")
# Words of a desk's address, matched as whole parts of it: "julie.masson" holds "asso" and
# "laurent.maisonneuve" holds "maison", yet both are people. Abbreviations are the sector's
# ("ass.arcadour", "aci.neplusjeter", "rh.lachorba", "langeac.cada": desks of the corpus).
DESK_WORDS = frozenset({"contact", "accueil", "info", "secretariat", "direction", "association", "asso",
                        "service", "mission", "emploi", "insertion", "formation", "mairie", "ccas", "centre",
                        "maison", "espace", "ass", "aci", "rh", "cada", "cias", "bij", "pij", "mjc", "pole",
                        "relais", "chantier", "atelier"})
LOCAL_PART_SEPARATORS = re.compile(r"[._+\-0-9]+")
# A part of an address too short to be a name ("c" of "c-martin", "et", "rh"): it neither makes
# an address a person's nor names the organisation.
SHORT_PART = 3
# An address inside a sentence: the final full stop of the sentence is not part of it. It starts
# where a word starts and its parts are bounded (RFC 5321 lengths): a hostile text of a million
# letters and one "@" is scanned in linear time, not tried from each of its letters. A domain has
# no "_": Markdown's emphasis around an address (« _jean.dupont@orange.fr_ ») is not part of it.
# An apostrophe may be inside one (« jean.d'almeida@… »), not first: « 'x@y.fr' » is quoted.
EMAIL_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-][\w.+'’-]{0,63}@(?:[^\W_]|-){1,63}(?:\.(?:[^\W_]|-){1,63}){1,8}"
                           r"(?![^\W_]|-)")
# A courriel written with its owner's name: « Camille Martin <accueil@asso.fr> ».
WITH_DISPLAY_NAME = re.compile(r"[^<>@]*<\s*([^<>\s@]+@[^<>\s@]+)\s*>")
MASKED_EMAIL = "[adresse personnelle masquée]"


def is_personal_email(address: str, owner: str | None = None) -> bool:
    """Whether `address` is a person's. `owner`: the name of the record that gives it; an address
    made of that name's words is the organisation's own (« bienvert.paysage@orange.fr » of
    « BIENVERT PAYSAGE », « rh.lachorba@gmail.com » of « LA CHORBA »)."""
    local, _, domain = address.strip().lower().rpartition("@")
    if domain not in CONSUMER_MAIL_DOMAINS:
        return False
    # "camille.martin+cv" is delivered to camille.martin: the tag says nothing of whose it is.
    # A leading "_" is Markdown's emphasis, not the mailbox's.
    local = local.split("+", 1)[0].lstrip("_")
    return bool(PERSON_LOCAL_PART.match(local)) and not _is_desk(local) and not _names_owner(local, owner)


def _is_desk(local: str) -> bool:
    parts = LOCAL_PART_SEPARATORS.split(local)
    return any(part in DESK_WORDS or (part.endswith("s") and part[:-1] in DESK_WORDS) for part in parts)


def _names_owner(local: str, owner: str | None) -> bool:
    """Every name-long part of `local` is a word, or words written together, of `owner`: all of
    them, so that « jean.dupont » at « Association Jean Moulin » stays a person's."""
    if not owner:
        return False
    # Imported here: the search documents import this module (catalog.search.documents).
    from catalog.search.analysis import fold

    parts = [fold(part) for part in LOCAL_PART_SEPARATORS.split(local) if len(part) > SHORT_PART]
    if not parts:
        return False
    words = [word for word in re.split(r"[\W_]+", fold(owner)) if word]
    runs = {"".join(words[start:end]) for start in range(len(words)) for end in range(start + 1, len(words) + 1)}
    return all(part in runs for part in parts)


def public_view(data: dict[str, Any], kind: str | None = None, raw: str | None = None) -> dict[str, Any]:
    """The record as it may be published: a copy when something is withheld or masked, else the
    record itself (nearly always; callers only read it, and the index keeps its stored JSON).

    With its `kind`, the view stays valid for the kind's schema, as the record was: a web address
    holding a person's address is withheld whole (« https://[adresse personnelle masquée] » is no
    address), and a text the mask made longer than its field allows is cut, as harvests cut.
    With its stored JSON (`raw`), a record whose every « @ » is in its e-mail fields has only
    those and its personal fields looked at (the index builds a view of every record it writes)."""
    view: dict[str, Any] | None = None
    owner = data.get("nom") if isinstance(data.get("nom"), str) else None
    keys = _EMAIL_AND_PERSONAL if raw is not None and _at_signs_only_in_email_fields(data, raw) else data
    for key in keys:
        if key not in data:
            continue
        value = data[key]
        if key in PERSONAL_FIELDS:
            kept = _WITHHELD
        elif key in EMAIL_FIELDS:
            kept = _public_address(value, owner)
        else:
            kept = _masked(value, owner)
            if kept is not value and kind is not None:
                kept = _within_schema(kind, key, kept)
        if kept is not value:
            view = dict(data) if view is None else view
            if kept is _WITHHELD:
                del view[key]
            else:
                view[key] = kept
    return data if view is None else view


_WITHHELD = object()  # a field left out of the view altogether
_EMAIL_AND_PERSONAL = (*PERSONAL_FIELDS, *EMAIL_FIELDS)


def _at_signs_only_in_email_fields(data: dict[str, Any], raw: str) -> bool:
    """Every « @ » of the record's JSON is in its e-mail fields' values, so no other text holds
    an address. JSON may write « @ » escaped (« \\u0040 »): then the record is looked at whole."""
    in_email_fields = sum(value.count("@") for key in EMAIL_FIELDS if isinstance(value := data.get(key), str))
    return raw.count("@") == in_email_fields and "\\u0040" not in raw


def _within_schema(kind: str, key: str, masked: Any) -> Any:
    url_fields, max_lengths = _limits(kind)
    if key in url_fields:
        return _WITHHELD
    limit = max_lengths.get(key)
    if isinstance(masked, str) and limit and len(masked) > limit:
        return masked[: limit - 1].rstrip() + "…"
    return masked


@lru_cache(maxsize=16)
def _limits(kind: str) -> tuple[tuple[str, ...], dict[str, int]]:
    try:
        return schemas.url_fields(kind), schemas.max_lengths(kind)
    except (KeyError, FileNotFoundError):  # a kind without a schema (tests' own)
        return (), {}


def _mask(address: str, owner: str | None) -> str:
    # Markdown's emphasis before the address stays: « _[adresse personnelle masquée]_ ».
    emphasis = address[: len(address) - len(address.lstrip("_"))]
    return emphasis + MASKED_EMAIL if is_personal_email(address, owner) else address


def _public_address(value: Any, owner: str | None) -> Any:
    """A `courriel` as it may be published: None when it is a person's, its bare address when
    it was written with a display name (« Camille Martin <accueil@asso.fr> »). An address is
    judged whole: a part of it found as an address in a text (« 1@gmail.com » of
    « jean.dupont#1@gmail.com », « alembert@asso.fr » of « d'alembert@asso.fr ») is another's."""
    if not isinstance(value, str):
        return value
    named = WITH_DISPLAY_NAME.fullmatch(value.strip())
    address = named.group(1) if named else value.strip()
    if is_personal_email(address, owner) or any(is_personal_email(a, owner) for a in EMAIL_IN_TEXT.findall(value)):
        return None
    return address if named else value


def _masked(value: Any, owner: str | None) -> Any:
    """`value` with the personal addresses of its texts masked, at any depth (each part once:
    parsed documents nest a few levels at most, `catalog.nesting`); `value` itself when it holds
    none."""
    if isinstance(value, str):
        if "@" not in value:  # nearly every text: no regex run
            return value
        masked = EMAIL_IN_TEXT.sub(lambda m: _mask(m.group(), owner), value)
        return value if masked == value else masked
    if isinstance(value, list):
        items = [_masked(item, owner) for item in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        parts = {key: _masked(item, owner) for key, item in value.items()}
        return value if all(parts[key] is item for key, item in value.items()) else parts
    return value


def withhold_private_contact(row: dict[str, Any], contact_public: Any) -> dict[str, Any]:
    """`row` (changed in place) without its contact person's name, e-mail and phone, unless
    the partner's `contact_public` says they may be shown (true, as JSON or a CSV cell)."""
    said_true = contact_public is True or (isinstance(contact_public, str) and contact_public in TRUE_CELLS)
    if not said_true:
        for name in CONTACT_FIELDS:
            row[name] = None
    return row


def as_promised(row: dict[str, Any], promise: Any = None) -> dict[str, Any]:
    """The row, less its contact's name, e-mail and phone when its `contact_public` (or the
    `promise` read elsewhere in the source row) does not say they may be shown. Only a row that
    holds a promise is judged: validation drops the field, so the harvester is the one place
    where it can be read."""
    if "contact_public" in row:
        promise = row["contact_public"]
    elif promise is None:
        return row
    return withhold_private_contact(dict(row), promise)
