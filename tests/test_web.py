"""The served site and API v1, on a catalog filled through the real harvester."""

from __future__ import annotations

import html
import re

import pytest

from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from harvesters.lheo import LheoHarvester
from tests.conftest import FIXTURES
from tests.factories import service, structure, write_json
from web import create_app
from web.labels import label


@pytest.fixture
def client(tmp_path, settings, engine):
    services = [service(i) for i in range(30)]
    services[0] |= {"nom": "Préparer le permis de conduire", "contact_nom_prenom": "Camille Martin",
                    "courriel": "camille.martin@gmail.com",
                    "description": "Inscription auprès de camille.martin@gmail.com ou de accueil@asso-exemple.fr."}
    # Markup the harvest keeps (inert, harvesters/text_hygiene.py): the page must still escape it.
    services[1] |= {"nom": "<b>Atelier</b> pour les <de 26 ans", "courriel": "accueil@asso-exemple.fr"}
    harvest(DataInclusionHarvester(str(write_json(tmp_path / "services.json", services))), source="demo", settings=settings)
    harvest(DataInclusionHarvester(str(write_json(tmp_path / "structures.json", [structure(i) for i in range(5)]))),
            source="demo", settings=settings)
    app = create_app(settings, TESTING=True)
    return app.test_client()


def test_services_are_listed_with_keyset_paging(client):
    seen, url = [], "/api/v1/services?size=7"
    while url:
        body = client.get(url).get_json()
        assert body["total"] == 30 and len(body["items"]) <= 7
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
    assert len(seen) == 30 and len(set(seen)) == 30 and seen == sorted(seen)


def test_a_listed_record_has_every_schema_field_and_no_personal_data(client):
    import schemas

    items = client.get("/api/v1/services?size=100").get_json()["items"]
    first = next(item for item in items if item["id"] == "test--v0")
    assert set(first) == set(schemas.field_names("service"))
    assert first["contact_nom_prenom"] is None and first["courriel"] is None
    assert first["description"] == ("Inscription auprès de [adresse personnelle masquée] "
                                            "ou de accueil@asso-exemple.fr.")
    assert first["nom"] == "Préparer le permis de conduire"
    desk = next(item for item in items if item["id"] == "test--v1")
    assert desk["courriel"] == "accueil@asso-exemple.fr"  # an organisation's address stays


def test_structures_and_one_record(client):
    assert client.get("/api/v1/structures").get_json()["total"] == 5
    record = client.get("/api/v1/services/test--v3")
    assert record.status_code == 200 and record.get_json()["id"] == "test--v3"
    missing = client.get("/api/v1/services/test--inconnu")
    assert missing.status_code == 404 and missing.get_json()["erreur"]


def test_filters_go_through_the_search_backend(client):
    body = client.get("/api/v1/services?thematiques=mobilite").get_json()
    assert body["total"] == len(body["items"]) > 0
    assert all(t.startswith("mobilite--") for item in body["items"] for t in item["thematiques"])


def test_bad_parameters_get_a_french_400(client):
    response = client.get("/api/v1/services?size=abc")
    assert response.status_code == 400 and "size" in response.get_json()["erreur"]
    response = client.get("/api/v1/search?distance=loin&code_commune=93066")
    assert response.status_code == 400 and "distance" in response.get_json()["erreur"]


def test_search_api_returns_records_and_facets(client):
    body = client.get("/api/v1/search?q=permis&facets=kinds").get_json()
    assert body["items"][0]["id"] == "test--v0"
    assert body["items"][0]["record"]["contact_nom_prenom"] is None
    assert body["facets"]["kinds"]["service"] >= 1


def test_search_page_is_french_and_escapes_content(client):
    home = client.get("/")
    assert home.status_code == 200 and 'lang="fr"' in home.text and "Rechercher" in home.text
    page = client.get("/?q=atelier")
    assert "&lt;b&gt;Atelier&lt;/b&gt; pour les &lt;de 26 ans" in page.text and "<b>Atelier" not in page.text
    assert "solution" in page.text


def test_record_page(client):
    page = client.get("/fiches/services/test--v0")
    assert page.status_code == 200 and "Préparer le permis de conduire" in page.text
    assert "Camille Martin" not in page.text and "camille.martin@gmail.com" not in page.text
    assert client.get("/fiches/services/absent").status_code == 404


def test_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_a_formation_page_reads_in_french(settings, engine):
    """Values are written as in French, not as Python or ISO writes them."""
    harvest(LheoHarvester(str(FIXTURES / "lheo" / "lheo-2.3.xml"), options={"source": "carif"}), source="carif",
            settings=settings)
    page = create_app(settings, TESTING=True).test_client().get("/fiches/formations/carif--FOR-93-0001/AF-93-0001/SE-93-0001")
    assert page.status_code == 200
    text = re.sub(r"[ \n]+", " ", page.text)  # not str.split(): it splits on the narrow space of « 1 190 »
    assert "<dt>Fin des inscriptions</dt> <dd>28 mars 2025</dd>" in text
    assert "<dt>Réunions d’information</dt> <dd>10 mars 2025</dd>" in text  # a list of dates
    assert "<dt>Date de début</dt> <dd>7 avril 2025</dd>" in text
    assert "<dt>Prix total TTC</dt> <dd>1\u202f190\u202f€</dd>" in text  # not « 1190.0 », nor without its unit
    assert "<dt>Formation certifiante</dt> <dd>oui</dd>" in text and "True" not in text
    assert "<dt>Latitude</dt> <dd>48,9077</dd>" in text  # every digit of a coordinate
    assert "<dt>Accès des personnes handicapées</dt> <dd>Plateau de plain-pied" in text
    assert "<dt>Langues de la formation</dt> <dd>Français</dd>" in text and ">fr<" not in text
    assert "<dt>Type de parcours</dt> <dd>En groupe (non individualisé)</dd>" in text
    assert "<dt>Niveau d’entrée exigé</dt> <dd>non</dd>" in text
    assert "mise à jour chez le producteur le 15 février 2025" in text


def test_values_are_written_as_in_french():
    assert label("formation", "date_debut", "2026-12-01") == "1er décembre 2026"
    assert label("aide", "date_fin", "2027-01-31") == "31 janvier 2027"
    assert label("formation", "nom", "2026-12-01") == "2026-12-01"  # not a date field
    assert label("formation", "date_debut", "bientôt") == "bientôt"  # not a date: shown as it is
    assert label("formation", "prix_total_ttc", 1234567.25) == "1\u202f234\u202f567,25"
    assert label("formation", "duree_heures", -0.5) == "-0,5" and label("formation", "duree_heures", 12) == "12"
    assert (label("formation", "eligible_cpf", True), label("formation", "eligible_cpf", False)) == ("oui", "non")
    assert label("formation", "modalites_enseignement", "1") == "Formation mixte"
    assert label("formation", "parcours_formation", "2") == "Individualisé"
    assert [label("formation", "langues", code) for code in ("fr", "wo")] == ["Français", "Wolof"]
    # Telephones as conseillers read them, whichever way the source wrote them.
    assert {label("service", "telephone", t) for t in ("+33478700000", "0478700000", "04.78.70.00.00",
                                                       "+33 (0)4 78 70 00 00", "04 78 70 00 00")} == {"04 78 70 00 00"}
    assert [label("service", "telephone", t) for t in ("+262262000000", "3949", "01 49 33 00 00 / 06 00")] == [
        "+262262000000", "3949", "01 49 33 00 00 / 06 00"]
    assert label("formation", "financeurs", "4") == "France Travail (anciennement Pôle emploi)"


def test_score_qualite_minimum_filters_on_data_inclusion_s_official_score(client):
    """No record carried a score: `score_qualite_minimum=0` answered nothing at all."""
    from data_inclusion.schema.v1 import Service
    from data_inclusion.schema.v1.score_qualite import score

    items = client.get("/api/v1/services?size=100").get_json()["items"]
    official = {item["id"]: score(Service.model_validate({k: v for k, v in item.items() if v is not None}))[0]
                for item in items}
    assert len(official) == 30 and len(set(official.values())) > 1  # the factory's services differ
    for threshold in (0, sorted(official.values())[15], 1):
        body = client.get(f"/api/v1/services?size=100&score_qualite_minimum={threshold}").get_json()
        assert {item["id"] for item in body["items"]} == {i for i, s in official.items() if s >= threshold}


def test_five_digits_that_are_an_insee_code_and_a_postal_code_propose_both(client, monkeypatch):
    """« 13003 » is Allauch's INSEE code and Marseille 3e's postal code: a conseiller typing the
    postal code got Allauch's solutions, with nothing to say that another commune was meant."""
    import catalog.territories
    from catalog.territories import CommuneInfo, Territories

    allauch = CommuneInfo(code="13003", nom="Allauch", type="commune-actuelle", departement="13", region="93")
    marseille_3 = CommuneInfo(code="13203", nom="Marseille 3e Arrondissement", type="arrondissement-municipal",
                              departement="13", region="93")
    mine = Territories(communes={"13003": allauch, "13203": marseille_3},
                       postal_codes={"13003": ["13203"], "13190": ["13003"]})
    monkeypatch.setattr(catalog.territories, "get_territories", lambda engine=None: mine)
    page = client.get("/?ou=13003")
    assert "pour Allauch (13003)" in page.text
    assert "Le code « 13003 » désigne aussi :" in page.text and "Marseille 3e Arrondissement (13)" in page.text
    assert "ou=13203" in page.text
    # A postal code alone: its commune, nothing more to propose.
    alone = client.get("/?ou=13190")
    assert "pour Allauch (13003)" in alone.text and "désigne aussi" not in alone.text


def test_an_aid_page_keeps_line_breaks_units_and_shows_structured_conditions_as_readable_json(settings, engine):
    """Conditions ran together on one line (« - Habiter Montreuil - Justificatif… »), the
    structured conditions were a JSON line with « \\u003e= », and amounts had no unit."""
    from tests.test_search_support import write_records

    write_records(engine, [("aide", {
        "source": "at", "id": "at--velo", "nom": "Aide au vélo", "description": "Une aide.",
        "conditions_texte": "- Habiter Montreuil\n- Justificatif de domicile",
        "conditions": {"age_min": 16, "autres": [{"type": "revenu", "operateur": ">=", "note": "<script>x</script>"}]},
        "montant_max": 1500, "montant_unite": "euros", "montant_min": 50.5,
    }), ("aide", {"source": "at", "id": "at--taux", "nom": "Aide au taux", "description": "Une aide.",
                  "montant_max": 40, "montant_unite": "pourcentage"})])
    client = create_app(settings, TESTING=True).test_client()
    page = client.get("/fiches/aides/at--velo").text
    assert "<dd>- Habiter Montreuil\n- Justificatif de domicile</dd>" in page  # shown as lines (pre-line)
    assert "<dd>1\u202f500\u202f€</dd>" in page and "<dd>50,5\u202f€</dd>" in page
    json_block = re.search(r'<pre class="maillage-json">(.*?)</pre>', page, re.DOTALL).group(1)
    assert '"operateur": ">="' in html.unescape(json_block) and "\\u003e" not in json_block
    assert "&lt;script&gt;" in json_block and "<script>x" not in page  # escaped as any text
    assert "<details><summary>" in page
    assert "<dd>40\u202f%</dd>" in client.get("/fiches/aides/at--taux").text


def test_a_closed_aid_says_so_and_the_api_finds_it_only_when_asked(settings, engine):
    from catalog.search import sync_index
    from tests.test_search_support import write_records

    write_records(engine, [("aide", {"source": "at", "id": "at--close", "nom": "Aide close", "description": "Une aide.",
                                     "date_fin": "2025-12-31"})])
    sync_index(settings, engine)
    client = create_app(settings, TESTING=True).test_client()
    assert "Cette offre est terminée depuis le 31 décembre 2025" in client.get("/fiches/aides/at--close").text
    assert client.get("/api/v1/search?q=aide").json["total"] == 0
    assert [h["id"] for h in client.get("/api/v1/search?q=aide&inclure_terminees=1").json["items"]] == ["at--close"]
