"""What of a record may be published (catalog/privacy.py)."""

from __future__ import annotations

import pytest

from catalog.privacy import MASKED_EMAIL, is_personal_email, public_view


@pytest.mark.parametrize(("address", "personal"), [
    ("camille.martin@gmail.com", True), ("c-martin@orange.fr", True), ("Camille.Martin@GMAIL.com", True),
    ("accueil.emploi@gmail.com", False), ("contact-asso@free.fr", False),  # a desk, at a consumer provider
    ("camille.martin@mairie-exemple.fr", False),  # at an organisation's own domain: its staff's desk
    ("asso93@wanadoo.fr", False), ("jean-luc.roy@hotmail.fr", True), ("mission-locale.paris@gmail.com", False),
])
def test_personal_addresses(address, personal):
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


def test_a_public_contact_is_published_as_is():
    data = {"contact_public": True, "contact_nom_prenom": "Camille Martin", "courriel": "camille.martin@gmail.com",
            "description": "Écrire à camille.martin@gmail.com"}
    assert public_view(data) == data


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
