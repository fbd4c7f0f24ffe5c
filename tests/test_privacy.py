"""What of a record may be published (catalog/privacy.py)."""

from __future__ import annotations

import pytest

from catalog.privacy import MASKED_EMAIL, is_personal_email, public_view, withhold_private_contact


@pytest.mark.parametrize(("address", "personal"), [
    ("camille.martin@gmail.com", True), ("c-martin@orange.fr", True), ("Camille.Martin@GMAIL.com", True),
    ("accueil.emploi@gmail.com", False), ("contact-asso@free.fr", False),  # a desk, at a consumer provider
    ("camille.martin@mairie-exemple.fr", False),  # at an organisation's own domain: its staff's desk
    ("asso93@wanadoo.fr", False), ("jean-luc.roy@hotmail.fr", True), ("mission-locale.paris@gmail.com", False),
])
def test_personal_addresses(address, personal):
    assert is_personal_email(address) is personal


@pytest.mark.parametrize(("address", "personal"), [
    # Surnames that hold a desk word are people: desk words are whole parts of the address.
    ("julie.masson@gmail.com", True), ("laurent.maisonneuve@orange.fr", True),
    ("nicolas.demaison@gmail.com", True), ("ines.lassoued@gmail.com", True), ("julien.centreau@free.fr", True),
    ("services.jeunesse@gmail.com", False), ("ccas.saint-denis@orange.fr", False),  # a desk, plural or not
    # A sub-address tag is the same mailbox.
    ("camille.martin+cv@gmail.com", True), ("contact+asso@gmail.com", False),
    ("camille.martin.93@gmail.com", True), ("camille.martin93@gmail.com", True),
    # One word is as often an association's as a person's: published.
    ("jdupont@gmail.com", False), ("cafe93@orange.fr", False),
    ("camille.martin@gmx.de", True), ("camille.martin@protonmail.ch", True), ("camille.martin@skynet.be", True),
    ("camille.martin@bluewin.ch", True), ("camille.martin@numericable.fr", True), ("camille.martin@pm.me", True),
    ("camille.martin@nordnet.fr", True), ("camille.martin@tiscali.fr", True), ("camille.martin@hotmail.co.uk", True),
    ("camille.martin@libero.it", True), ("camille.martin@t-online.de", True), ("camille.martin@mailo.com", True),
])
def test_people_whose_address_looks_like_a_desk_or_a_foreign_provider(address, personal):
    assert is_personal_email(address) is personal


def test_a_personal_address_in_a_free_text_is_masked_and_the_rest_kept():
    data = {"description": "Sur rendez-vous : écrire à camille.martin@gmail.com. Ou à accueil@asso-exemple.fr.",
            "frais_autres": ["Voir jean-luc.roy@hotmail.fr", "Gratuit"], "nom": "Atelier CV", "latitude": 48.9}
    view = public_view(data)
    assert view["description"] == (f"Sur rendez-vous : écrire à {MASKED_EMAIL}. "
                                           "Ou à accueil@asso-exemple.fr.")
    assert view["frais_autres"] == [f"Voir {MASKED_EMAIL}", "Gratuit"]
    assert view["nom"] == "Atelier CV" and view["latitude"] == 48.9
    assert "camille.martin@gmail.com" in data["description"]  # the stored record is untouched


def test_a_personal_address_inside_an_object_is_masked():
    """An aid's `conditions` keeps the conditions Maillage cannot read as objects (aides-jeunes)."""
    data = {"conditions": {"autres": [{"type": "inconnue", "parametres": {"contact": "julie.martin@gmail.com", "age": 25},
                                       "texte": "Contact : julie.martin@gmail.com, accueil@mairie-exemple.fr."}]}}
    view = public_view(data)
    assert view["conditions"] == {"autres": [{"type": "inconnue", "parametres": {"contact": MASKED_EMAIL, "age": 25},
                                              "texte": f"Contact : {MASKED_EMAIL}, accueil@mairie-exemple.fr."}]}
    assert data["conditions"]["autres"][0]["parametres"]["contact"] == "julie.martin@gmail.com"  # untouched


def test_contact_public_in_a_record_unlocks_nothing():
    """The partner's promise is the harvester's to read (`withhold_private_contact`): our schemas
    (data·inclusion v1) have no `contact_public`, so a stored record never holds one, and a record
    that did would not have been validated."""
    view = public_view({"contact_public": True, "contact_nom_prenom": "Camille Martin",
                        "courriel": "camille.martin@gmail.com", "description": "Écrire à camille.martin@gmail.com"})
    assert "contact_nom_prenom" not in view and view["courriel"] is None
    assert view["description"] == f"Écrire à {MASKED_EMAIL}"


@pytest.mark.parametrize(("flag", "kept"), [
    (True, True), ("true", True), ("1", True),  # JSON, or a CSV cell
    (False, False), (None, False), ("false", False), ("", False), ("oui ?", False), (0, False),
])
def test_the_contact_is_kept_only_when_the_partner_says_it_is_public(flag, kept):
    row = {"nom": "Atelier CV", "contact_nom_prenom": "Camille Martin", "courriel": "camille.martin@asso.fr",
           "telephone": "06 12 34 56 78"}
    contact = {k: row[k] for k in ("contact_nom_prenom", "courriel", "telephone")}
    result = withhold_private_contact(dict(row), flag)
    assert result["nom"] == "Atelier CV"
    assert {k: result[k] for k in contact} == (contact if kept else dict.fromkeys(contact))


def test_the_named_contact_and_a_personal_courriel_are_withheld():
    view = public_view({"contact_nom_prenom": "Camille Martin", "courriel": "camille.martin@gmail.com",
                        "telephone": "01 23 45 67 89"})
    assert "contact_nom_prenom" not in view and view["courriel"] is None and view["telephone"] == "01 23 45 67 89"


def test_an_address_is_only_tried_where_a_word_starts():
    """What keeps the scan of a hostile text linear (a million letters, then "@"): the pattern
    cannot start inside a run of address characters, and its parts are bounded."""
    from catalog.privacy import EMAIL_IN_TEXT

    assert EMAIL_IN_TEXT.match("camille.martin@gmail.com").group() == "camille.martin@gmail.com"
    assert EMAIL_IN_TEXT.match("camille.martin@gmail.com", 3) is None
    assert EMAIL_IN_TEXT.search("a" * 65 + "@gmail.com") is None  # RFC 5321: 64 at most before the @
    assert public_view({"description": "a." * 50_000 + "@ x"})["description"] == "a." * 50_000 + "@ x"


def test_the_view_is_the_record_itself_when_nothing_is_withheld_and_a_copy_otherwise():
    plain = {"nom": "Atelier", "courriel": "accueil@asso-exemple.fr", "conditions": {"autres": [{"texte": "a@b.fr"}]}}
    assert public_view(plain) is plain  # the index then keeps the stored JSON as it is
    personal = {"nom": "Atelier", "conditions": {"autres": [{"texte": "écrire à julie.martin@gmail.com"}]}}
    view = public_view(personal)
    assert view["conditions"]["autres"][0]["texte"] == "écrire à [adresse personnelle masquée]"
    assert personal["conditions"]["autres"][0]["texte"] == "écrire à julie.martin@gmail.com"  # stored: untouched


@pytest.mark.parametrize(("courriel", "published"), [
    ("Camille Martin <camille.martin@gmail.com>", None),  # the display name does not hide a person's address
    ("Camille Martin <accueil@asso-exemple.fr>", "accueil@asso-exemple.fr"),  # nor is the name published
    ("accueil@asso-exemple.fr", "accueil@asso-exemple.fr"),
    # An address is published whole, never a part of it that looks like one: mail for the desk
    # went to « alembert@asso.fr », a stranger's mailbox.
    ("d'alembert@asso-exemple.fr", "d'alembert@asso-exemple.fr"),
    ("o'neil.formation@cfa-exemple.fr", "o'neil.formation@cfa-exemple.fr"),
    ("accueil#1@asso-exemple.fr", "accueil#1@asso-exemple.fr"),
    ("marie.o'connor@orange.fr", None),  # a person's, apostrophe and all
    ("'camille.martin@gmail.com'", None),
])
def test_a_courriel_with_a_display_name_is_published_as_its_bare_desk_address(courriel, published):
    assert public_view({"courriel": courriel}).get("courriel") == published


@pytest.mark.parametrize("text", [
    "Écrire à _jean.dupont@orange.fr_.",  # Markdown emphasis around the address
    "Écrire à anne-marie.de-la-fontaine@gmail.com.",  # a compound first name and surname
    "Écrire à lukasz.wałęsa@gmail.com.",  # letters outside Latin-1
    "Écrire à jean.d'almeida@gmail.com.",  # a surname with its apostrophe
    "Écrire à « 'marie.o’connor@orange.fr' ».",  # quoted, with a typographic apostrophe
])
def test_personal_addresses_written_the_way_people_write_them_are_masked(text):
    masked = public_view({"description": text})["description"]
    assert "@" not in masked and MASKED_EMAIL in masked
    if text.count("_") == 2:
        assert masked == f"Écrire à _{MASKED_EMAIL}_."


@pytest.mark.parametrize(("courriel", "nom", "published"), [
    # The corpus's organisations at consumer providers: their address is made of their name.
    ("bienvert.paysage@orange.fr", "BIENVERT PAYSAGE", True),
    ("rh.lachorba@gmail.com", "LA CHORBA", True),
    ("aci.neplusjeter@gmail.com", "Association Ne Plus Jeter", True),
    ("ille-et-developpement@orange.fr", "Association ille et développement", True),
    ("ass.arcadour@gmail.com", "Association Arcadour EI", True),
    ("langeac.cada@wanadoo.fr", "HOSPITALITE EN LANGEADOIS", True),
    # A person sharing one word with the organisation's name is still a person.
    ("jean.dupont@gmail.com", "Association Jean Moulin", False),
    ("camille.martin@gmail.com", "Centre social Martin Luther King", False),
])
def test_an_organisation_address_at_a_consumer_provider_is_published(courriel, nom, published):
    view = public_view({"nom": nom, "courriel": courriel, "description": f"Écrire à {courriel}."})
    assert (view["courriel"] == courriel) is published
    assert (view["description"] == f"Écrire à {courriel}.") is published


def test_the_published_view_stays_valid_for_the_kind_s_schema():
    """Masking came after validation: a description of 9 998 characters ending in an address grew
    past the schema's 10 000, and « https://marie.durand@gmail.com » became
    « https://[adresse personnelle masquée] », both refused by our schema and data·inclusion's."""
    from catalog.validation import validator_for
    from tests.factories import structure

    record = structure(1) | {"description": "a" * 9976 + " marie.durand@gmail.com",
                             "site_web": "https://marie.durand@gmail.com",
                             "lien_source": "https://annuaire.example.fr/s1?contact=marie.durand@gmail.com"}
    data, problems = validator_for("structure").check(dict(record))
    assert not problems
    view = public_view(data, "structure")
    assert "site_web" not in view and "lien_source" not in view  # withheld whole, published null
    assert len(view["description"]) == 10000 and view["description"].endswith("…")
    assert "gmail" not in view["description"]
    assert not validator_for("structure").check(dict(view))[1]
    # Without a kind (a caller that has none), masked as before.
    assert public_view(data)["site_web"] == f"https://{MASKED_EMAIL}"


@pytest.mark.parametrize("record", [
    {"nom": "Atelier", "courriel": "jean.dupont@gmail.com", "description": "Venez."},
    {"nom": "Atelier", "courriel": "accueil@asso.fr", "description": "Écrire à jean.dupont@gmail.com."},
    {"nom": "Atelier", "courriel": "accueil@asso.fr", "sessions": [{"contact": ["jean.dupont@gmail.com"]}]},
    {"nom": "Atelier", "courriel": "accueil@asso.fr", "contact_nom_prenom": "Jean Dupont"},
    {"nom": "Atelier", "description": "jean.dupont@gmail.com", "lien": "https://exemple.fr/@jean"},
    {"nom": "Atelier", "courriel": 12, "description": "jean.dupont@gmail.com"},
])
@pytest.mark.parametrize("escaped", [False, True])
def test_the_view_built_with_the_stored_json_is_the_view_built_without(record, escaped):
    """The index passes the stored JSON, which spares looking at every field when each « @ » is in
    the e-mail fields: the view must not depend on it, « @ » written escaped in JSON included."""
    import json

    raw = json.dumps(record, ensure_ascii=False)
    if escaped:
        raw = raw.replace("@", "\\u0040")
        assert json.loads(raw) == record
    assert public_view(record, "service", raw) == public_view(record, "service")


def test_an_address_written_escaped_in_the_stored_json_is_still_masked():
    record = {"nom": "Atelier", "courriel": "accueil@asso.fr", "description": "Écrire à jean.dupont@gmail.com."}
    raw = '{"nom":"Atelier","courriel":"accueil@asso.fr","description":"Écrire à jean.dupont\\u0040gmail.com."}'
    assert public_view(record, "service", raw)["description"] == f"Écrire à {MASKED_EMAIL}."
