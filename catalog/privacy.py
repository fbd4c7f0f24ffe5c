"""What of a record may be published: personal data stays out of open data and public pages.

Named people (`contact_nom_prenom`) and personal e-mail addresses (a person's name at a
consumer mail provider) are withheld unless the record says its contact is public
(`contact_public: true`, set by the partner who owns the record). A personal address written
in a free text ("écrire à camille.martin@gmail.com") is masked in that text too.
"""

from __future__ import annotations

import re
from typing import Any

PERSONAL_FIELDS = ("contact_nom_prenom",)
EMAIL_FIELDS = ("courriel",)
# Consumer mail providers: an address there is a person's, not an organisation's desk.
CONSUMER_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.fr", "live.fr", "live.com", "outlook.com",
    "outlook.fr", "msn.com", "yahoo.com", "yahoo.fr", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr",
    "neuf.fr", "laposte.net", "bbox.fr", "icloud.com", "me.com", "aol.com", "gmx.fr", "gmx.com",
    "protonmail.com", "proton.me",
})
# "prenom.nom", "prenom-nom", "p.nom", "jean-luc.roy": how people's addresses look, unlike
# "contact" or "accueil".
PERSON_LOCAL_PART = re.compile(r"^[a-zà-ÿ]+(?:[._-][a-zà-ÿ]+){1,3}[0-9]*$", re.IGNORECASE)
DESK_WORDS = ("contact", "accueil", "info", "secretariat", "direction", "association", "asso", "service",
              "mission", "emploi", "insertion", "formation", "mairie", "ccas", "centre", "maison", "espace")
# An address inside a sentence: the final full stop of the sentence is not part of it. It starts
# where a word starts and its parts are bounded (RFC 5321 lengths): a hostile text of a million
# letters and one "@" is scanned in linear time, not tried from each of its letters.
EMAIL_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}(?![\w-])")
MASKED_EMAIL = "[adresse personnelle masquée]"


def is_personal_email(address: str) -> bool:
    local, _, domain = address.strip().lower().rpartition("@")
    if domain not in CONSUMER_MAIL_DOMAINS:
        return False
    return bool(PERSON_LOCAL_PART.match(local)) and not any(word in local for word in DESK_WORDS)


def public_view(data: dict[str, Any]) -> dict[str, Any]:
    """The record as it may be published (a copy; the stored record is untouched)."""
    if data.get("contact_public") is True:
        return dict(data)
    view = {k: v if k in EMAIL_FIELDS else _masked(v) for k, v in data.items() if k not in PERSONAL_FIELDS}
    for name in EMAIL_FIELDS:
        if isinstance(view.get(name), str) and is_personal_email(view[name]):
            view[name] = None
    return view


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        if "@" not in value:  # nearly every text: no regex run
            return value
        return EMAIL_IN_TEXT.sub(lambda m: MASKED_EMAIL if is_personal_email(m.group()) else m.group(), value)
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value
