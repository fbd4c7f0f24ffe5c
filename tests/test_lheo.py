"""The LHEO harvester on hand-written feeds: 2.2 (Intercarif), 2.3, EDOF, defects, hostile XML."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import zipfile

import orjson
import pytest
import responses
from click.testing import CliRunner
from sqlalchemy import func, select

from catalog.errors import UnusableInput
from catalog.models import Record, Revision
from catalog.validation import validator_for
from harvesters import harvester_class
from harvesters.base import Item
from harvesters.engine import harvest
from harvesters.lheo import LheoHarvester
from tests.conftest import FIXTURES

LHEO = FIXTURES / "lheo"
RECORDS = Record.__table__
REVISIONS = Revision.__table__


def rows(path, **options) -> dict[str, dict]:
    """The mapped rows of a feed, by id (unmapped items left out)."""
    return {item.row["id"]: item.row for item in LheoHarvester(str(path), options=options).items() if item.row}


def items(path, **options):
    return list(LheoHarvester(str(path), options=options).items())


def run(path, settings, source="carif", **kwargs):
    options = kwargs.pop("options", {"source": source})
    return harvest(LheoHarvester(str(path), options=options), source=source, settings=settings, **kwargs)


def snapshot(engine):
    with engine.connect() as conn:
        records = conn.execute(select(RECORDS).order_by(RECORDS.c.id)).all()
        revisions = conn.execute(select(func.count()).select_from(REVISIONS)).scalar_one()
    return [tuple(r) for r in records], revisions


def stored(engine, id_: str) -> dict:
    with engine.connect() as conn:
        return orjson.loads(conn.execute(select(RECORDS.c.data).where(RECORDS.c.id == id_)).scalar_one())


# -- registration ----------------------------------------------------------------------------

def test_format_is_registered():
    assert harvester_class("lheo") is LheoHarvester


# -- LHEO 2.3 --------------------------------------------------------------------------------

def test_lheo_23_one_row_per_session_with_formation_action_and_organisme():
    found = rows(LHEO / "lheo-2.3.xml")
    assert sorted(found) == ["FOR-59-0042/AF-59-0042/SE-59-0042-1", "FOR-93-0001/AF-93-0001/SE-93-0001",
                             "FOR-93-0001/AF-93-0001/SE-93-0002"]
    caces = found["FOR-93-0001/AF-93-0001/SE-93-0001"]
    assert caces["nom"] == "CACES R489 chariots de manutention catégories 1A, 3 et 5"
    assert caces["formacodes"] == ["31811"] and caces["codes_rome"] == ["N1101"] and caces["codes_nsf"] == ["311"]
    assert caces["code_rs"] == "5629" and caces["certifiante"] is True
    assert caces["objectif_general"] == "7" and caces["niveau_entree"] == "1" and caces["niveau_sortie"] == "13"
    assert caces["publics"] == ["demandeurs-emploi"] and caces["codes_public_vise"] == ["80006"]
    assert caces["publics_precisions"] == "Demandeurs d'emploi inscrits à France Travail."
    # The place of training: address lines told apart, coordinates, INSEE code, département zone.
    assert caces["adresse"] == "21 rue de la Commune de Paris"
    assert caces["complement_adresse"] == "Zone d'activités des Vignes"
    assert (caces["code_postal"], caces["commune"], caces["code_insee"]) == ("93000", "Bobigny", "93008")
    assert (caces["latitude"], caces["longitude"]) == (48.9077, 2.4397)
    assert caces["zone_eligibilite"] == ["93"]
    assert (caces["date_debut"], caces["date_fin"], caces["etat_recrutement"]) == ("2025-04-07", "2025-04-11", "1")
    # The deepest level says most: the session's URL and contact, then the action's, the formation's.
    assert caces["lien_inscription"] == "https://www.afpm-bobigny.fr/sessions/SE-93-0001"
    assert caces["telephone"] == "+33148300001" and caces["courriel"] == "formation@afpm-bobigny.fr"
    assert caces["date_maj"] == "2025-02-15"  # the most recent horodatage-modification of the three levels
    assert caces["prix_total_ttc"] == 1190 and caces["financeurs"] == ["2"] and caces["frais"] == "gratuit"
    assert "Conseil régional" in caces["frais_precisions"] and "1\u202f190 €" in caces["frais_precisions"]
    assert caces["organisme_siret"] == "13002801200016" and caces["organisme_numero_activite"] == "11930765432"
    assert caces["organisme_nom"] == "Association pour la formation aux métiers de la manutention"
    assert caces["thematiques"] == ["se-former--trouver-sa-formation"]
    second = found["FOR-93-0001/AF-93-0001/SE-93-0002"]
    assert second["lien_inscription"] == "https://www.afpm-bobigny.fr/caces-r489"  # url-action
    assert second["telephone"] == "+33148300000" and second["date_maj"] == "2025-02-12"


def test_several_certifications_publish_the_first_of_each_register_and_say_so(tmp_path):
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8").replace(
        "<certification>\n        <code-RS>RS5629</code-RS>\n      </certification>",
        "<certification><code-RS>RS5629</code-RS></certification>"
        "<certification><code-RNCP>RNCP35760</code-RNCP><code-CERTIFINFO>108546</code-CERTIFINFO></certification>"
        "<certification><code-RS>5630</code-RS></certification>")
    path = tmp_path / "certifications.xml"
    path.write_text(text, encoding="utf-8")
    found = {item.row["id"]: item for item in items(path)}
    caces = found["FOR-93-0001/AF-93-0001/SE-93-0001"]
    assert (caces.row["code_rs"], caces.row["code_rncp"], caces.row["code_certifinfo"]) == ("5629", "35760", "108546")
    [warning] = caces.warnings
    assert warning.code == "lheo-certifications-multiples" and warning.field == "code_rncp"
    assert "(RNCP35760, RS5629, RS5630, Certif Info 108546)" in warning.message
    assert "la première (RNCP35760, RS5629, Certif Info 108546)" in warning.message
    # One certification per register (the usual case) says nothing.
    assert found["FOR-59-0042/AF-59-0042/SE-59-0042-1"].warnings == []
    assert all(item.warnings == [] for item in items(LHEO / "lheo-2.3.xml"))


FORMATEUR = ("<organisme-formateur><SIRET-formateur><SIRET>{siret}</SIRET></SIRET-formateur>"
             "<raison-sociale-formateur>{nom}</raison-sociale-formateur>{contact}</organisme-formateur>")


def with_formateurs(tmp_path, formation: str, *formateurs: str, drop: str = "") -> dict:
    """lheo-2.3.xml with `formateurs` added to the action of `formation` (and `drop` removed)."""
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    assert drop in text
    text = text.replace(drop, "")
    head, _, tail = text.partition(f'<formation numero="{formation}"')
    action_end = tail.index("</action>")
    path = tmp_path / "formateurs.xml"
    path.write_text(head + '<formation numero="' + formation + '"' + tail[:action_end] + "".join(formateurs)
                    + tail[action_end:], encoding="utf-8")
    return {item.row["id"]: item for item in items(path)}


def test_the_organisme_that_teaches_is_published_beside_the_responsible_one():
    found = rows(LHEO / "lheo-2.3.xml")
    caces = found["FOR-93-0001/AF-93-0001/SE-93-0001"]
    assert caces["organisme_nom"] == "Association pour la formation aux métiers de la manutention"
    assert caces["organisme_formateur_nom"] == "Lycée professionnel Alfred Costes"
    assert caces["organisme_formateur_siret"] == "19930042700010"
    # Its contact comes last: a session without contact shows the formation's number, not its.
    assert found["FOR-93-0001/AF-93-0001/SE-93-0002"]["telephone"] == "+33148300000"
    fle = found["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert "organisme_formateur_nom" not in fle and "organisme_formateur_siret" not in fle


def test_the_formateur_contact_is_the_last_resort(tmp_path):
    formateur = FORMATEUR.format(siret="77567227200157", nom="Centre Lille-Sud Formation", contact=(
        "<contact-formateur><coordonnees><telfixe><numtel>03 20 00 00 77</numtel></telfixe>"
        "</coordonnees></contact-formateur>"))
    organisme_phone = "<coordonnees-organisme><coordonnees><telfixe><numtel>03 20 00 00 42</numtel></telfixe>" \
                      "</coordonnees></coordonnees-organisme>"
    fle = with_formateurs(tmp_path, "FOR-59-0042", formateur, drop=organisme_phone)["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert fle.row["telephone"] == "+33320000077"  # no other number in the feed
    assert fle.row["courriel"] == "fle@centre-lille-sud.fr"  # the formation's, before the formateur's
    assert fle.warnings == []


def test_every_contact_element_of_a_level_is_read_in_order(tmp_path):
    """The XSD allows several `contact-formation` (and `contact-session`…): a desk's name first,
    then the person to call. Only the first was read: no telephone, no e-mail, no warning."""
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    first = "<contact-formation><coordonnees><courriel>fle@centre-lille-sud.fr</courriel></coordonnees></contact-formation>"
    assert first in text
    feed = tmp_path / "contacts.xml"
    feed.write_text(text.replace(first, "<contact-formation><type-contact>1</type-contact><coordonnees><nom>Accueil"
                                 "</nom></coordonnees></contact-formation>"
                                 + first.replace("<coordonnees>", "<coordonnees><telfixe><numtel>03 20 00 00 12"
                                                 "</numtel></telfixe>")), encoding="utf-8")
    fle = rows(feed)["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert (fle["telephone"], fle["courriel"]) == ("+33320000012", "fle@centre-lille-sud.fr")


def test_a_named_trainer_s_mobile_and_personal_address_give_way_to_the_desk_s(tmp_path):
    """A `coordonnees` naming a person (`nom`, `prenom`) holds their own mobile: it was
    published as the formation's phone. Their gmail address hid the organisme's desk address
    (withheld at publication, it left the row with none)."""
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    first = "<contact-formation><coordonnees><courriel>fle@centre-lille-sud.fr</courriel></coordonnees></contact-formation>"
    person = ("<contact-formation><coordonnees><civilite>Madame</civilite><nom>Martin</nom><prenom>Camille</prenom>"
              "<portable><numtel>06 12 34 56 78</numtel></portable><courriel>camille.martin@gmail.com</courriel>"
              "</coordonnees></contact-formation>")
    feed = tmp_path / "person.xml"
    feed.write_text(text.replace(first, person + first.replace("<coordonnees>", "<coordonnees><telfixe><numtel>"
                                                                 "03 20 00 00 12</numtel></telfixe>")), encoding="utf-8")
    fle = rows(feed)["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert (fle["telephone"], fle["courriel"]) == ("+33320000012", "fle@centre-lille-sud.fr")
    # A desk's mobile (no name beside it) is its phone; the organisme's desk address comes
    # before the gmail one.
    desk = person.replace("<civilite>Madame</civilite><nom>Martin</nom><prenom>Camille</prenom>", "")
    feed.write_text(text.replace(first, desk), encoding="utf-8")
    fle = rows(feed)["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert (fle["telephone"], fle["courriel"]) == ("+33612345678", "accueil@centre-lille-sud.fr")
    # With no other address, the person's is kept (and withheld at publication, catalog.privacy).
    feed.write_text(text.replace(first, desk).replace("<courriel>accueil@centre-lille-sud.fr</courriel>", ""),
                    encoding="utf-8")
    assert rows(feed)["FOR-59-0042/AF-59-0042/SE-59-0042-1"]["courriel"] == "camille.martin@gmail.com"


def test_several_formateurs_and_a_defective_siret_are_reported(tmp_path):
    names = ["GRETA Lille Métropole", "greta lille métropole", *(f"Organisme associé {n}" for n in range(1, 7))]
    found = with_formateurs(tmp_path, "FOR-59-0042", FORMATEUR.format(siret="077567227200157", nom=names[0], contact=""),
                            *(FORMATEUR.format(siret="77567227200157", nom=n, contact="") for n in names[1:]))
    fle = found["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert fle.row["organisme_formateur_nom"] == "GRETA Lille Métropole"
    assert fle.row["organisme_formateur_siret"] == "77567227200157"  # 15 characters: its leading zero dropped
    repaired, several = fle.warnings
    assert (repaired.code, repaired.field) == ("lheo-siret-15", "organisme_formateur_siret")
    assert (several.code, several.field) == ("lheo-formateurs-multiples", "organisme_formateur_nom")
    # The same name in other letters is the same organisme; the list is cut after five names.
    assert "(GRETA Lille Métropole, Organisme associé 1, Organisme associé 2, Organisme associé 3, " \
           "Organisme associé 4 et 2 autres)" in several.message
    assert several.message.endswith("le premier (GRETA Lille Métropole).")
    # An unreadable SIRET is dropped, the name kept; the other formation says nothing.
    found = with_formateurs(tmp_path, "FOR-59-0042", FORMATEUR.format(siret="775672272001", nom="GRETA", contact=""))
    fle = found["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert "organisme_formateur_siret" not in fle.row and fle.row["organisme_formateur_nom"] == "GRETA"
    assert [w.code for w in fle.warnings] == ["lheo-siret-format"]
    assert found["FOR-93-0001/AF-93-0001/SE-93-0001"].warnings == []


def test_what_a_conseiller_tells_before_sending_someone():
    """Rhythm, work-study, meals, transport, disability access, selection, teaching, duration in
    words; when and how to register."""
    found = rows(LHEO / "lheo-2.3.xml")
    caces, later = found["FOR-93-0001/AF-93-0001/SE-93-0001"], found["FOR-93-0001/AF-93-0001/SE-93-0002"]
    for row in (caces, later):  # the action's texts, on each of its sessions
        assert row["modalites_recrutement"] == "Information collective, puis tests de positionnement."
        assert row["rythme_formation"] == "Temps plein" and row["modalites_alternance"] == "Aucune"
        assert row["modalites_pedagogiques"] == "Pratique sur chariots pendant 80 % du temps."
        assert row["acces_handicapes"].startswith("Plateau de plain-pied, accessible en fauteuil roulant")
        assert row["restauration"] == "Restaurant interentreprises à 200 m."
        assert row["transport"] == "Tramway T1, arrêt Libération."  # escaped HTML made text
        assert "hebergement" not in row
    assert (caces["date_debut_inscription"], caces["date_fin_inscription"]) == ("2025-02-03", "2025-03-28")
    # Information meetings: each date once, « 00000000 » left out; where, on one line.
    assert caces["dates_information"] == ["2025-03-10"]
    assert caces["adresse_information"] == "21 rue de la Commune de Paris, 93000 Bobigny"
    assert caces["modalites_inscription"].startswith("Sur prescription de votre conseiller France Travail")
    assert not {"date_debut_inscription", "date_fin_inscription", "modalites_inscription"} & set(later)
    fle = found["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert fle["rythme_formation"] == "Temps partiel, 20 heures par semaine" and "acces_handicapes" not in fle
    assert fle["duree_indicative"] == "10 mois, de septembre à juin" and fle["duree_heures"] == 435
    assert (fle["duree_heures_centre"], fle["duree_heures_entreprise"]) == (400, 35)  # the total's parts
    assert "duree_heures_centre" not in caces  # only a total


def test_registration_periods_and_texts_without_a_word_are_not_guessed():
    found = {item.row["id"]: item for item in items(LHEO / "intercarif-defauts.xml") if item.row}
    first = found["FOR_001/AF_001/SE_001"]
    assert first.row["date_fin_inscription"] == "2025-12-19" and "date_debut_inscription" not in first.row  # 00000000
    assert first.row["acces_handicapes"] == "Accès handicapé possible"  # HTML in CDATA
    assert "hebergement" not in first.row  # « Non renseigné »
    assert "dates_information" not in first.row  # its only date is « 00000000 »
    # A period that closes before it opens: which date is wrong cannot be known, both are dropped.
    undated = found["FOR_001/AF_001/SE_002"]
    assert not {"date_debut_inscription", "date_fin_inscription"} & set(undated.row)
    [inverted] = [w for w in undated.warnings if w.code == "lheo-inscription-inversee"]
    assert inverted.field == "date_fin_inscription" and "du 01/12/2025 au 15/10/2025" in inverted.message
    assert not [w for w in first.warnings if w.code == "lheo-inscription-inversee"]
    assert first.row["duree_indicative"] == "35 h"  # a number and its unit: a text to show
    # 350 h in centre and 70 h in company are more than the 399 h in all: the total is kept.
    assert first.row["duree_heures"] == 399 and "duree_heures_centre" not in first.row
    [hours] = [w for w in first.warnings if w.code == "lheo-heures-incoherentes"]
    assert hours.field == "duree_heures_centre"
    assert hours.message == ("Heures en centre et en entreprise (350 h en centre, 70 h en entreprise) au-delà du "
                             "total de 399 h : seul le total est publié.")
    # EDOF writes « 0 » where it has nothing to say (or means « non »): not shown as a text.
    [edof] = items(LHEO / "edof-latin1.xml")
    assert edof.row["restauration"] == "Restauration possible" and edof.row["hebergement"] == "Hébergement possible"
    assert edof.row["modalites_recrutement"] == "Entretien individuel"
    assert "transport" not in edof.row and "acces_handicapes" not in edof.row
    wordless = [w for w in edof.warnings if w.code == "lheo-texte-sans-mot"]
    # A lone letter for the recruitment area is not a word either (« Région »? « Rhône »?).
    assert [w.field for w in wordless] == ["transport", "acces_handicapes", "zone_eligibilite_precisions"]
    assert wordless[1].message == "« acces-handicapes » ne contient aucun mot (« 0 ») : écarté."
    assert "zone_eligibilite_precisions" not in edof.row and edof.row["zone_eligibilite"] == ["france"]


def test_entry_level_path_and_languages():
    """Whether the entry level is required or advised, how the path is organised, which languages
    the formation is taught in: what tells a conseiller if a person can enter."""
    found = rows(LHEO / "lheo-2.3.xml")
    caces, fle = found["FOR-93-0001/AF-93-0001/SE-93-0001"], found["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert (caces["niveau_entree"], caces["niveau_entree_obligatoire"]) == ("1", False)
    assert (fle["niveau_entree"], fle["niveau_entree_obligatoire"]) == ("11", True)
    assert (caces["parcours_formation"], fle["parcours_formation"]) == ("1", "2")
    assert caces["langues"] == ["fr"]
    assert fle["langues"] == ["fr", "en"]  # « FR » and « fr » are one language
    assert fle["zone_eligibilite_precisions"] == "Métropole européenne de Lille"
    assert "zone_eligibilite_precisions" not in caces
    # Intercarif-like defects: a three-letter code is reported, not guessed; « - » says nothing.
    first = next(item for item in items(LHEO / "intercarif-defauts.xml") if item.row)
    assert "langues" not in first.row
    [unknown] = [w for w in first.warnings if w.code == "lheo-langue-inconnue"]
    assert (unknown.field, unknown.message) == (
        "langues", "Langue « FRA » : pas un code ISO 639-1 (deux lettres, « FR ») : écartée.")


def test_the_schema_checks_registration_periods_information_dates_and_languages():
    """For producers who publish the `formation` schema directly (CSV, data package)."""
    row = {"source": "of", "id": "of--1", "nom": "CAP Cuisine", "date_maj": "2025-01-02",
           "date_debut_inscription": "2025-12-01", "date_fin_inscription": "2025-10-15"}
    assert [p.code for p in validator_for("formation").check(row)[1]] == ["custom:compare-columns"]
    assert validator_for("formation").check(row | {"date_fin_inscription": "2025-12-01"})[1] == []
    # Information meetings: real dates, each once.
    dated = row | {"date_fin_inscription": "2025-12-01"}
    for meetings, problem in ((["2025-11-13", "2025-11-27"], None), (["2025-13-45"], "type"),
                              (["2025-11-13", "2025-11-13"], "unique-items")):
        found = [(p.field, p.code) for p in validator_for("formation").check(dated | {"dates_information": meetings})[1]]
        assert found == ([("dates_information", problem)] if problem else []), meetings
    # Languages: ISO 639-1 codes as the referentiel has them (lower case), each once.
    for languages, problem in ((["fr", "en"], None), (["fra"], "enum"), (["FR"], "enum"), (["fr", "fr"], "unique-items")):
        found = [(p.field, p.code) for p in validator_for("formation").check(dated | {"langues": languages})[1]]
        assert found == ([("langues", problem)] if problem else []), languages


def test_lheo_23_fle_region_zone_hours_and_fees():
    fle = rows(LHEO / "lheo-2.3.xml")["FOR-59-0042/AF-59-0042/SE-59-0042-1"]
    assert fle["thematiques"] == ["se-former--trouver-sa-formation", "lecture-ecriture-calcul--maitriser-le-francais"]
    assert fle["publics"] == ["personnes-exilees"]
    assert fle["modes_accueil"] == ["en-presentiel", "a-distance"] and fle["modalites_enseignement"] == "1"
    assert fle["zone_eligibilite"] == ["02", "59", "60", "62", "80"]  # Hauts-de-France, from Lille
    assert fle["duree_heures"] == 435  # no total: hours in centre + in company
    assert fle["frais"] == "gratuit" and "Frais d'inscription : 20 €." in fle["frais_precisions"]
    assert fle["date_maj"] == "2024-11-04"  # no modification date anywhere: the creation date


# -- LHEO 2.2 (Intercarif) and its defects --------------------------------------------------

def test_intercarif_defects_are_repaired_or_dropped_not_fatal():
    found = rows(LHEO / "intercarif-defauts.xml")
    first = found["FOR_001/AF_001/SE_001"]
    # HTML, escaped and in CDATA, becomes text with its lines; the script is gone.
    assert first["description"] == ("Former des agents capables de réaliser l'entretien des locaux.\n"
                                    "- Entretien courant\n- Remise en état\n\n"
                                    "Module 1 : techniques de nettoyage\nModule 2 :\nmachines & produits")
    assert "alert" not in first["description"] and "<" not in first["description"]
    assert "resultats_attendus" not in first and "conditions_acces" not in first  # "-", "Non renseigné"
    assert first["formacodes"] == ["42052"] and first["codes_rome"] == ["K2204"] and first["codes_nsf"] == ["343t"]
    assert first["code_rncp"] == "34849" and first["code_certifinfo"] == "108546"  # "RNCP" prefix removed
    assert first["lien_inscription"] == "https://www.exemple-of.fr/formations/FOR_001"  # no scheme → https
    assert first["lien_source"] == "https://www.intercariforef.org/formations/FOR_001.html"
    assert (first["latitude"], first["longitude"]) == (48.9362, 2.3574)  # comma decimals
    assert first["prix_total_ttc"] == 4500.5 and first["financeurs"] == ["2", "4"]  # "04" read, "99" dropped
    assert first["organisme_siret"] == "00301234100016"  # leading zeros kept
    assert first["eligible_cpf"] is True  # extras info="eligibilite-cpf" on the session
    assert first["telephone"] == "+33149330000"  # the place's; "11 11" is no number
    assert first["courriel"] == "contact@exemple-of.fr"  # "pas-une-adresse" dropped
    assert first["publics"] == ["demandeurs-emploi", "jeunes"]
    assert first["date_maj"] == "2025-02-01"
    undated = found["FOR_001/AF_001/SE_002"]
    assert "date_debut" not in undated and "date_fin" not in undated  # 00000000 and 99999999
    assert "eligible_cpf" not in undated and undated["date_maj"] == "2025-01-20"


def test_sessions_intercarif_marks_as_over_are_published_closed(tmp_path):
    text = (LHEO / "intercarif-defauts.xml").read_text(encoding="utf-8")
    flag = '<extra info="session-perimee">0</extra>'
    ended_action = "<prix-total-TTC>0</prix-total-TTC>\n</action>"
    assert flag in text and ended_action in text
    path = tmp_path / "perimees.xml"
    path.write_text(text.replace(flag, flag.replace("0", "1")).replace(ended_action, (
        '<prix-total-TTC>0</prix-total-TTC>\n<extras info="type-action"><extra info="action-perimee">1</extra>'
        "</extras>\n</action>")), encoding="utf-8")
    found = {item.row["id"]: item for item in items(path) if item.row}
    over = found["FOR_001/AF_001/SE_001"]
    assert over.row["etat_recrutement"] == "2"  # the feed said « ouvert »: corrected, and reported
    [warning] = [w for w in over.warnings if w.field == "etat_recrutement"]
    assert warning.code == "lheo-perimee" and "non « ouvert »" in warning.message
    assert found["FOR_004/AF_040"].row["etat_recrutement"] == "2"  # a whole action over, no state given
    assert not [w for w in found["FOR_004/AF_040"].warnings if w.field == "etat_recrutement"]
    # A flag at 0, or none: the producer's state is kept.
    assert rows(LHEO / "intercarif-defauts.xml")["FOR_001/AF_001/SE_001"]["etat_recrutement"] == "1"
    assert found["FOR_001/AF_001/SE_002"].row["etat_recrutement"] == "3"


def test_intercarif_places_arrondissements_and_swapped_coordinates():
    found = rows(LHEO / "intercarif-defauts.xml")
    paris = found["FOR_004/AF_040"]  # an action without session is one row
    assert paris["code_insee"] == "75111"  # postal code 75011 written as INSEE code: the arrondissement
    assert (paris["latitude"], paris["longitude"]) == (48.861, 2.3715)  # swapped in the feed
    assert paris["zone_eligibilite"] == ["75111"]
    assert paris["organisme_siret"] == "77567227200157"  # 15 characters with a leading zero
    assert paris["publics"] == ["tous-publics"] and paris["frais"] == "gratuit"
    assert "mobilite--preparer-un-permis" in paris["thematiques"]
    lyon = found["FOR_005/AF_050/session-20260300-20260600"]
    assert lyon["code_insee"] == "69382" and lyon["zone_eligibilite"][:3] == ["01", "03", "07"]
    assert (lyon["date_debut"], lyon["date_fin"]) == ("2026-03-01", "2026-06-30")  # AAAAMM00
    assert lyon["modes_accueil"] == ["a-distance"] and lyon["date_maj"] == "2024-01-05"  # datecrea only
    assert "organisme_siret" not in lyon  # fails the INSEE check digit: dropped
    assert set(lyon["thematiques"]) >= {"lecture-ecriture-calcul--maitriser-le-francais",
                                        "lecture-ecriture-calcul--maitriser-le-calcul"}
    assert "FOR_005/AF_050/session-20260300-20260600-2" in found  # same dates, no number: told apart
    marseille = found["FOR_005/AF_051/SE_052"]
    assert marseille["code_insee"] == "13202" and marseille["date_debut"] == "2026-09-01"  # kept as is


def test_unmappable_formations_are_reported_with_their_numero_and_the_rest_flows():
    harvester = LheoHarvester(str(LHEO / "intercarif-defauts.xml"))
    unmapped = [item for item in harvester.items() if item.row is None]
    by_code = {}
    for item in unmapped:
        by_code.setdefault(item.problems[0].code, []).append(item)
    assert sorted(by_code) == ["lheo-action-en-double", "lheo-date-maj", "lheo-identifiant", "lheo-intitule"]
    duplicate = by_code["lheo-action-en-double"][0]
    assert "AF_001" in duplicate.problems[0].message and "FOR_001" in duplicate.problems[0].message
    assert duplicate.id_hint == "lheo--FOR_001/AF_001/SE_003"
    assert [i.id_hint for i in by_code["lheo-intitule"]] == ["lheo--FOR_003/AF_010/SE_010", "lheo--FOR_003/AF_010/SE_011"]
    assert "FOR_003" in by_code["lheo-intitule"][0].reference
    assert by_code["lheo-identifiant"][0].id_hint is None and "ligne" in by_code["lheo-identifiant"][0].reference
    assert "FOR_006" in by_code["lheo-date-maj"][0].problems[0].message
    assert dict(harvester.counts) == {"formations": 6, "actions": 8, "sessions": 10}
    assert harvester.corrections["siret-15"] == 1 and harvester.corrections["siret-invalide"] == 1
    assert harvester.corrections["insee-arrondissement"] == 2 and harvester.corrections["coordonnees-inversees"] == 1


def test_date_maj_option_completes_a_feed_without_dates():
    found = rows(LHEO / "intercarif-defauts.xml", date_maj="2025-03-02")
    assert found["FOR_006/AF_060/SE_060"]["date_maj"] == "2025-03-02"


def test_source_is_the_registered_source_unless_an_option_names_the_producer(settings):
    harvester = LheoHarvester(str(LHEO / "lheo-2.3.xml"))
    summary = harvest(harvester, source="carif-oref-idf", settings=settings)
    assert summary.counts["added"] == 3 and harvester.source == "carif-oref-idf"
    named = LheoHarvester(str(LHEO / "lheo-2.3.xml"), options={"source": "intercarif"})
    named.source_name = "carif-oref-idf"
    assert {item.row["source"] for item in named.items()} == {"intercarif"}


def test_source_option_and_link_template():
    found = rows(LHEO / "lheo-2.3.xml", source="carif-idf",
                 lien_source="https://www.defi-metiers.fr/formations/{formation}/{session}")
    row = found["FOR-93-0001/AF-93-0001/SE-93-0001"]
    assert row["source"] == "carif-idf"
    assert row["lien_source"] == "https://www.defi-metiers.fr/formations/FOR-93-0001/SE-93-0001"


# -- EDOF (Mon Compte Formation), ISO-8859-1 ------------------------------------------------

def test_edof_latin1_catalogue():
    assert (LHEO / "edof-latin1.xml").read_bytes().count(b"\xe9") > 3  # really ISO-8859-1 on disk
    harvester = LheoHarvester(str(LHEO / "edof-latin1.xml"))
    [row] = [item.row for item in harvester.items()]
    assert harvester.variant == "EDOF (Mon Compte Formation)"
    assert row["nom"] == "Titre professionnel Assistant(e) de vie aux familles"
    assert row["description"].startswith("- Entretenir le logement et le linge d'un particulier\n- Accompagner")
    assert "accompagnement éducatif & relationnel" in row["description"]  # &eacute; inside CDATA
    assert row["code_rncp"] == "35760" and row["eligible_cpf"] is True
    assert row["prix_total_ttc"] == 6300 and row["frais"] == "payant"  # extras « frais-ttc »
    assert row["adresse"] == "7 AV du Président Wilson" and row["complement_adresse"] == "Centre Élan Formation"
    assert row["telephone"] == "+33148700001" and row["courriel"] == "inscriptions@elan-formation.fr"
    assert row["conditions_acces"] == "Entretien de motivation ; être à l'aise à l'écrit."
    assert row["zone_eligibilite"] == ["france"] and row["duree_heures"] == 945
    assert row["date_maj"] == "2025-05-12"


# -- encodings, compression, download --------------------------------------------------------

def test_declared_utf8_written_in_windows_1252(tmp_path):
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8").replace("Réglementation", "L’essentiel : réglementation")
    path = tmp_path / "cp1252.xml"
    path.write_bytes(text.encode("cp1252"))  # the declaration still says UTF-8
    row = rows(path)["FOR-93-0001/AF-93-0001/SE-93-0001"]
    assert row["nom"] == "CACES R489 chariots de manutention catégories 1A, 3 et 5"
    assert "L’essentiel : réglementation" in row["description"]


def test_declared_latin1_written_in_utf8(tmp_path):
    text = (LHEO / "edof-latin1.xml").read_bytes().decode("latin-1")
    path = tmp_path / "utf8.xml"
    path.write_bytes(text.encode("utf-8"))  # the declaration still says ISO-8859-1
    [row] = rows(path).values()
    assert row["complement_adresse"] == "Centre Élan Formation"  # not « Centre Ã‰lan Formation »


def test_mixed_encodings_are_refused(tmp_path):
    path = tmp_path / "mixed.xml"
    data = (LHEO / "lheo-2.3.xml").read_bytes()
    path.write_bytes(data.replace("Réglementation".encode(), "Réglementation".encode("latin-1")))
    with pytest.raises(UnusableInput, match="mélange deux encodages"):
        items(path)
    assert rows(path, encoding="windows-1252")  # the operator can impose one


def test_a_feed_declared_latin1_with_utf8_inside_is_refused(tmp_path):
    """Declared ISO-8859-1, one name written in UTF-8: « Centre Ã‰lan Formation » was stored, done."""
    text = (LHEO / "edof-latin1.xml").read_bytes().decode("latin-1")
    assert "Élan" in text
    path = tmp_path / "mixed.xml"
    path.write_bytes(text.encode("latin-1").replace("Élan".encode("latin-1"), "Élan".encode()))
    with pytest.raises(UnusableInput, match="mélange deux encodages"):
        items(path)


@pytest.mark.parametrize("declared", ["ISO_8859-1", "CP819", "latin1", "windows-1250"])
def test_a_feed_in_utf8_declaring_any_single_byte_encoding_is_read_in_utf8(tmp_path, declared):
    """Only a few spellings of Latin-1 were checked: « ISO_8859-1 » or « CP819 » stored « Ã‰ »."""
    text = (LHEO / "edof-latin1.xml").read_bytes().decode("latin-1")
    path = tmp_path / "utf8.xml"
    path.write_bytes(text.replace('encoding="ISO-8859-1"', f'encoding="{declared}"').encode("utf-8"))
    [row] = rows(path).values()
    assert row["complement_adresse"] == "Centre Élan Formation"


@pytest.mark.parametrize("forced", ["latin-1", "iso8859_15", "cp1252", "mac-roman"])
def test_an_encoding_option_python_spells_its_own_way_is_read(forced):
    """« latin-1 » passed the check (Python knows it) then stopped the run: libxml2 does not."""
    [row] = rows(LHEO / "edof-latin1.xml", encoding=forced).values()
    assert row["complement_adresse"].startswith("Centre ")


def test_utf16_feed_with_its_byte_order_mark(tmp_path):
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "utf16.xml"
    path.write_bytes(text.encode("utf-16"))
    assert rows(path) == rows(LHEO / "lheo-2.3.xml")


def test_unknown_encoding_option_is_refused():
    with pytest.raises(UnusableInput, match="Encodage inconnu"):
        items(LHEO / "lheo-2.3.xml", encoding="klingon-8")


def test_gzip_and_zip_feeds(tmp_path):
    expected = rows(LHEO / "lheo-2.3.xml")
    gz = tmp_path / "offres.xml.gz"
    gz.write_bytes(gzip.compress((LHEO / "lheo-2.3.xml").read_bytes()))
    assert rows(gz) == expected
    archive = tmp_path / "offres.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(LHEO / "lheo-2.3.xml", "export/offres.xml")
    assert rows(archive) == expected


def test_feed_by_url_is_downloaded_then_streamed():
    url = "https://flux.exemple-carif.fr/lheo/offres.xml.gz"
    body = gzip.compress((LHEO / "lheo-2.3.xml").read_bytes())
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=body, content_type="application/gzip")
        assert rows(url) == rows(LHEO / "lheo-2.3.xml")
    with responses.RequestsMock() as rsps:
        rsps.get(url, status=404)
        with pytest.raises(UnusableInput, match="HTTP 404"):
            items(url)


# -- refused input ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "reason"), [
    ("hostile-xxe.xml", "entités externes (XXE"),
    ("hostile-billion-laughs.xml", "expansion d'entités"),
    ("hostile-quadratic.xml", "déclare 1 entité"),
    ("hostile-external-dtd.xml", "DTD externe « http://attaquant.example/exfiltration.dtd »"),
    ("legacy-1.3.xml", "LHEO 1.x"),
])
def test_hostile_and_legacy_feeds_are_refused_before_any_record(name, reason):
    harvester = LheoHarvester(str(LHEO / name))
    stream = harvester.items()
    with pytest.raises(UnusableInput, match=reason.replace("(", r"\(")):
        next(stream)
    assert harvester.counts["formations"] == 0


def test_lheo_own_dtd_reference_is_accepted():
    # A DOCTYPE naming LHEO's published DTD declares nothing and is never loaded.
    assert list(rows(LHEO / "doctype-lheo-dtd.xml")) == ["F1/A1/S1"]


@pytest.mark.parametrize("content, reason", [
    (b"", "vide"),
    (b"<html><body>502 Bad Gateway</body></html>", "n'est pas un flux LHEO"),
    (b'<?xml version="1.0"?><lheo xmlns="http://lheo.gouv.fr/2.3"><offres></offres></lheo>', "aucune formation"),
    (b'<lheo xmlns="http://exemple.fr/lheo"><offres/></lheo>', "espace de noms LHEO inconnu"),
])
def test_files_that_are_not_lheo_feeds(tmp_path, content, reason):
    path = tmp_path / "flux.xml"
    path.write_bytes(content)
    with pytest.raises(UnusableInput, match=reason):
        items(path)


OPEN = b'<?xml version="1.0"?><lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="F">'


@pytest.mark.parametrize("content, reason", [
    (OPEN + b"<intitule-formation>" + b"Apprendre. " * 1_000_000, "élément démesuré .*texte ou attribut de plus de 10 Mo"),
    (OPEN + b"<intitule-formation x='" + b"a" * (11 << 20) + b"'/>", "élément démesuré"),
    (OPEN + b"<" + b"a" * 60_000 + b"/>", "nom de plus de 50 000 caractères"),
    (OPEN + b"<objectif-formation>" + b"<p>" * 300, "imbriqués sur plus de 256 niveaux"),
], ids=["texte", "attribut", "nom", "profondeur"])
def test_elements_past_the_xml_reader_safety_limits_are_refused_in_french(tmp_path, content, reason):
    """libxml2 keeps its limits (XML_PARSE_HUGE stays off: a 1 GB text node would be held whole
    in memory); its English « try XML_PARSE_HUGE » is of no use to a producer."""
    path = tmp_path / "flux.xml"
    path.write_bytes(content + b"</formation></offres></lheo>")
    with pytest.raises(UnusableInput, match=f"flux.xml refusé : .*{reason}"):
        items(path)


def test_billion_laughs_costs_neither_memory_nor_time(tmp_path):
    """A far larger expansion (10^12 characters) under a 1 GB address-space limit: refused, not expanded."""
    levels = "".join(f'<!ENTITY e{n} "{"".join(f"&e{n - 1};" for _ in range(10))}">' for n in range(1, 12))
    path = tmp_path / "bomb.xml"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE lheo [<!ENTITY e0 "rire">{levels}]>'
                    '<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation numero="F">'
                    '<intitule-formation>&e11;</intitule-formation></formation></offres></lheo>')
    script = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from catalog.errors import UnusableInput
        from harvesters.lheo import LheoHarvester
        try:
            list(LheoHarvester({str(path)!r}).items())
        except UnusableInput as exc:
            print("REFUSÉ", exc)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "REFUSÉ" in result.stdout and "entité" in result.stdout


# -- through the engine ----------------------------------------------------------------------

def test_harvest_writes_valid_records_and_reports_the_unmappable(settings, engine):
    summary = run(LHEO / "intercarif-defauts.xml", settings)
    assert summary.status == "done-with-errors" and summary.kinds == ["formation"]
    assert summary.counts["read"] == 11 and summary.counts["added"] == 6 and summary.counts["invalid"] == 5
    invalid = {group.code for group in summary.groups if group.status == "invalid"}
    assert invalid == {"lheo-action-en-double", "lheo-date-maj", "lheo-identifiant", "lheo-intitule"}
    # Repaired or dropped values: the records are written, and the report says what was changed.
    warned = {group.code: group for group in summary.groups if group.status == "warning"}
    assert sorted(warned) == ["lheo-coordonnees-inversees", "lheo-courriel-ecarte", "lheo-heures-incoherentes",
                              "lheo-inscription-inversee", "lheo-insee-arrondissement", "lheo-langue-inconnue",
                              "lheo-siret-15", "lheo-siret-invalide"]
    assert warned["lheo-langue-inconnue"].count == 2  # « FRA », on both sessions of the action
    assert summary.counts["warnings"] == 6  # every written row here has something to know
    assert warned["lheo-courriel-ecarte"].count == 2 and "pas-une-adresse" in warned["lheo-courriel-ecarte"].message
    assert warned["lheo-insee-arrondissement"].count == 3  # Paris 11e, and Lyon 2e on two sessions
    assert "077567227200157" in warned["lheo-siret-15"].message and warned["lheo-siret-15"].field == "organisme_siret"
    record = stored(engine, "carif--FOR_001/AF_001/SE_001")
    assert record["nom"] == "Titre professionnel Agent de propreté et d'hygiène"
    assert record["organisme_siret"] == "00301234100016"


def test_every_fixture_row_is_valid_against_the_schema(settings):
    for name in ("lheo-2.3.xml", "edof-latin1.xml", "doctype-lheo-dtd.xml"):
        summary = run(LHEO / name, settings, source=name.split(".")[0])
        assert summary.status == "done", (name, summary.as_dict())
        assert summary.counts["invalid"] == 0 and summary.counts["added"] > 0


def test_ids_are_stable_a_second_run_writes_nothing(settings, engine):
    first = run(LHEO / "lheo-2.3.xml", settings)
    assert first.counts["added"] == 3
    before = snapshot(engine)
    again = run(LHEO / "lheo-2.3.xml", settings)
    assert again.counts["unchanged"] == 3 and again.counts["added"] == again.counts["updated"] == 0
    assert snapshot(engine) == before


@pytest.mark.parametrize("breakage", ["truncated", "truncated-gzip", "hostile"])
def test_a_broken_feed_changes_nothing(tmp_path, settings, engine, breakage):
    run(LHEO / "lheo-2.3.xml", settings)
    before = snapshot(engine)
    data = (LHEO / "lheo-2.3.xml").read_bytes()
    path = tmp_path / "flux.xml"
    if breakage == "truncated":  # cut inside the second formation: the first was already read
        path.write_bytes(data[: int(len(data) * 0.8)])
    elif breakage == "truncated-gzip":
        path = tmp_path / "flux.xml.gz"
        path.write_bytes(gzip.compress(data)[:-40])
    else:
        path.write_bytes((LHEO / "hostile-xxe.xml").read_bytes())
    summary = run(path, settings)
    assert summary.status == "failed" and summary.counts["archived"] == 0
    assert {"truncated": "tronqué", "truncated-gzip": "tronquée", "hostile": "XXE"}[breakage] in summary.message
    assert "Le catalogue n'a pas été modifié" in summary.message
    assert snapshot(engine) == before


def test_truncated_feed_is_refused_even_on_a_first_harvest(tmp_path, settings, engine):
    path = tmp_path / "flux.xml"
    path.write_bytes((LHEO / "intercarif-defauts.xml").read_bytes()[:-300])
    summary = run(path, settings)
    assert summary.status == "failed" and "tronqué" in summary.message
    assert snapshot(engine) == ([], 0)


@pytest.mark.parametrize("line_end", ["", "\r"])
def test_a_feed_on_one_line_is_called_truncated_only_when_it_stops_short(tmp_path, settings, engine, line_end):
    """Minified (or with CR line ends only), every error was on « the last line »: a tag left
    open in the middle was reported as a cut download."""
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    start = text.index("<formation")  # the formations past what the prolog's reading takes in
    text = text[:start] + "<!--" + "x" * 40_000 + "-->" + text[start:]
    one_line = text.replace("\r\n", "\n").replace("\n", line_end)
    path = tmp_path / "flux.xml"
    path.write_text(one_line.replace("</intitule-formation>", "</intitule>", 1), encoding="utf-8")
    summary = run(path, settings)
    assert summary.status == "failed" and "n'est pas un XML bien formé" in summary.message, summary.message
    path.write_text(one_line[: int(len(one_line) * 0.8)], encoding="utf-8")
    assert "est tronqué" in run(path, settings).message


def test_a_nul_byte_before_the_root_is_said_as_libxml2_sees_it(tmp_path, settings, engine):
    """It read « document XML sans élément racine »: the parser was never told the data ended."""
    text = (LHEO / "lheo-2.3.xml").read_bytes()
    path = tmp_path / "flux.xml"
    inside_comment = text.index(b"<!--") + 10
    path.write_bytes(text[:inside_comment] + b"\x00" + text[inside_comment:])
    summary = run(path, settings)
    assert summary.status == "failed" and "sans élément racine" not in summary.message, summary.message
    assert "bien formé" in summary.message


def test_cli_harvest_lheo(settings, engine):
    from maillage.cli import main

    result = CliRunner().invoke(main, ["harvest", "lheo", str(LHEO / "lheo-2.3.xml"), "--source", "carif-cli",
                                       "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["format"] == "lheo" and summary["status"] == "done" and summary["counts"]["added"] == 3
    assert stored(engine, "carif-cli--FOR-93-0001/AF-93-0001/SE-93-0001")["source"] == "carif-cli"
    before = snapshot(engine)
    dry = CliRunner().invoke(main, ["harvest", "lheo", str(LHEO / "intercarif-defauts.xml"), "--source", "essai",
                                    "--dry-run", "--json"], catch_exceptions=False)
    report = json.loads(dry.output)
    assert report["dry_run"] and report["status"] == "done-with-errors"
    assert report["counts"]["added"] == 6 and report["counts"]["invalid"] == 5
    assert snapshot(engine) == before


def test_demo_feed_harvests_completely(settings):
    demo = FIXTURES.parents[1] / "demo" / "formations"
    [source] = json.loads((demo / "sources.json").read_text(encoding="utf-8"))
    assert source["format"] == "lheo"
    harvester = LheoHarvester(str(demo / source["location"]), options=source["options"])
    summary = harvest(harvester, source=source["name"], settings=settings)
    # 31 sessions, one of them taught in two places (Aubervilliers and Saint-Denis): 32 rows.
    assert summary.status == "done" and summary.counts["added"] == 32 and summary.counts["invalid"] == 0
    assert dict(harvester.counts) == {"formations": 16, "actions": 16, "sessions": 31}


def test_fees_when_the_trainee_pays_a_part():
    permis = rows(FIXTURES.parents[1] / "demo" / "formations" / "offres-formation.xml")[
        "IDF-2026-0104/IDF-2026-0104-A1/IDF-2026-0104-S1"]
    assert permis["financeurs"] == ["8", "10"] and permis["frais"] == "payant"
    assert "Reste à charge : 50 €" in permis["frais_precisions"]


def test_formations_are_freed_as_the_feed_is_read(tmp_path):
    """Memory does not grow with the feed: once handed over, a formation is emptied and unlinked."""
    from harvesters.lheo_xml import formations, sniff

    one = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    head, _, rest = one.partition("<offres>")
    body, _, tail = rest.partition("</offres>")
    path = tmp_path / "long.xml"
    path.write_text(head + "<offres>" + body * 200 + "</offres>" + tail, encoding="utf-8")
    seen = []
    previous = None
    for element in formations(sniff(path, path.name, None)):
        assert len(element) > 0  # complete when handed over
        if previous is not None:
            assert len(previous) == 0 and previous.text is None  # the one before was emptied
        # Nothing read before stays linked but the emptied previous one (the parser may be ahead).
        assert len(list(element.itersiblings(preceding=True))) <= 1
        seen.append(element.get("numero"))
        previous = element
    assert len(seen) == 400


def test_missing_file_is_unusable_input(tmp_path):
    with pytest.raises(UnusableInput, match="Fichier introuvable"):
        items(tmp_path / "absent.xml")


# -- values that would fail validation, texts written as XML -----------------------------------

ECARTS = LHEO.parent / "lheo-ecarts.xml"


def test_text_written_as_xml_keeps_its_lines_and_the_text_around_comments():
    found = {item.row["id"]: item.row for item in items(ECARTS)}
    row = found["F-974-1/A1/S1"]
    assert row["conditions_acces"] == "- Avoir 18 ans\n- Permis B <3 ans accepté"  # not « Avoir 18 ansPermis B »
    assert row["nom"] == "Cariste chariots de catégorie 1A"  # <b>…</b><br/>: not glued
    assert row["adresse"] == "12 rue Victor Hugo"  # not « 12 rue », cut at the comment
    assert row["formacodes"] == ["31811"] and row["codes_rome"] == ["N1101"]  # a comment before or after the code
    assert row["lien_inscription"] == "https://formation.example.fr/cariste"  # a processing instruction inside


def test_values_the_schema_would_refuse_are_dropped_with_a_warning_not_the_session():
    found = {item.row["id"]: item for item in items(ECARTS)}
    inverted, future = found["F-974-1/A1/S1"], found["F-974-1/A1/S2"]
    validator = validator_for("formation")
    assert all(not validator.check(item.row)[1] for item in found.values())
    codes = {w.code: w for w in inverted.warnings}
    # A session that ends before it starts: both dates dropped, as for registration periods.
    assert "date_debut" not in inverted.row and "date_fin" not in inverted.row
    assert "du 01/06/2025 au 01/05/2025" in codes["lheo-periode-inversee"].message
    assert future.row["date_debut"] == "2025-09-01"
    # « Seine-Saint-Denis » is no code: the postal code gives the département of the zone.
    assert inverted.row["zone_eligibilite"] == ["93"]
    assert codes["lheo-departement-ecarte"].message.endswith("écarté, lu du code postal : 93.")
    # « RAS » is shorter than the schema's 5 characters.
    assert "description" not in inverted.row and codes["lheo-description-trop-courte"].field == "description"
    # « 1,234.50 » is 1234.5 (English grouping); « 1.500 » hours, 1,5 or 1 500, is not guessed.
    assert inverted.row["prix_total_ttc"] == 1234.5 and "duree_heures" not in inverted.row
    assert codes["lheo-nombre-ambigu"].field == "duree_heures" and "« 1.500 »" in codes["lheo-nombre-ambigu"].message
    assert inverted.row["telephone"] == "+262262123456"  # La Réunion, not +33
    # 2025-03-01T01:00:00+04:00 is 28 February in UTC; a session's datemaj in 2999 is a typo,
    # which the formation's date replaces (and says so) instead of making the row invalid.
    assert inverted.row["date_maj"] == future.row["date_maj"] == "2025-02-28"
    assert "lheo-date-maj-ecartee" not in codes
    [dropped] = [w for w in future.warnings if w.code == "lheo-date-maj-ecartee"]
    assert dropped.field == "date_maj" and "31/12/2999" in dropped.message


def _lille_with(tmp_path, **replacements: str) -> Item:
    """The Lille session of lheo-2.3.xml, with parts of its XML replaced."""
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    for old, new in replacements.values():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "lille.xml"
    path.write_text(text, encoding="utf-8")
    return {item.row["id"]: item for item in items(path)}["FOR-59-0042/AF-59-0042/SE-59-0042-1"]


@pytest.mark.parametrize("written, read", [("35 h", 35), ("35 heures", 35), ("35,5 H", 35.5), ("35h.", 35)])
def test_hours_are_read_with_their_unit(tmp_path, written, read):
    lille = _lille_with(tmp_path, hours=("<nombre-heures-entreprise>35<", f"<nombre-heures-entreprise>{written}<"))
    assert lille.row["duree_heures_entreprise"] == read and lille.row["duree_heures"] == 400 + read
    assert lille.warnings == []


@pytest.mark.parametrize("written", ["deux cents", "1.500", "35 jours"])
def test_a_total_is_not_the_sum_of_the_parts_that_could_be_read(tmp_path, written):
    """« 400 en centre, deux cents en entreprise » was published as 400 hours in all."""
    lille = _lille_with(tmp_path, hours=("<nombre-heures-entreprise>35<", f"<nombre-heures-entreprise>{written}<"))
    assert "duree_heures" not in lille.row and "duree_heures_entreprise" not in lille.row
    assert lille.row["duree_heures_centre"] == 400
    [warning] = lille.warnings
    assert warning.field == "duree_heures_entreprise" and f"« {written} »" in warning.message
    assert warning.code in ("lheo-nombre-illisible", "lheo-nombre-ambigu")
    # A part left empty (or « NC ») is none: the total is the centre's hours.
    for empty in ("", "NC"):
        lille = _lille_with(tmp_path, hours=("<nombre-heures-entreprise>35<", f"<nombre-heures-entreprise>{empty}<"))
        assert lille.row["duree_heures"] == 400 and lille.warnings == []


def test_an_unreadable_price_or_session_date_is_reported_and_gratuit_is_free(tmp_path):
    free = _lille_with(tmp_path, price=("<prix-total-TTC>0<", "<prix-total-TTC>Gratuit<"))
    assert free.row["prix_total_ttc"] == 0 and free.row["frais"] == "gratuit" and free.warnings == []
    lille = _lille_with(tmp_path, price=("<prix-total-TTC>0<", "<prix-total-TTC>sur devis<"),
                        dates=("<debut>20250901</debut><fin>20260630</fin>",
                               "<debut>20250230</debut><fin>202606301</fin>"))
    assert "prix_total_ttc" not in lille.row and "date_debut" not in lille.row and "date_fin" not in lille.row
    messages = {w.field: w.message for w in lille.warnings}
    assert "« sur devis »" in messages["prix_total_ttc"]
    assert "« 20250230 » (periode/debut)" in messages["date_debut"]  # no 30 February
    assert "« 202606301 » (periode/fin)" in messages["date_fin"]  # a ninth digit: not 30 June
    # LHEO's « unknown » dates are no defect.
    unknown = _lille_with(tmp_path, dates=("<debut>20250901</debut><fin>20260630</fin>",
                                           "<debut>00000000</debut><fin>99999999</fin>"))
    assert unknown.warnings == [] and "date_debut" not in unknown.row


@pytest.mark.parametrize("end, eligible", [("20181231", None), ("20991231", True), ("", True)])
def test_a_cpf_listing_whose_validity_ended_no_longer_says_eligible(tmp_path, end, eligible):
    """Intercarif's « eligibilite-cpf » blocks carry their window; one ended in 2018 was published
    as « éligible CPF » in 2026."""
    listing = ('<extras info="eligibilite-cpf" numero="130001"><extra info="source">COPANEF</extra>'
               f'<extra info="debut-validite">20150101</extra><extra info="fin-validite">{end}</extra></extras>')
    lille = _lille_with(tmp_path, cpf=("<etat-recrutement>1</etat-recrutement>\n        </session>",
                                       f"<etat-recrutement>1</etat-recrutement>{listing}</session>"))
    assert lille.row.get("eligible_cpf") is eligible


def test_thousands_of_sessions_without_numero_are_named_in_linear_time(tmp_path):
    """Each session without a number is named after its dates, then `-2`, `-3`...: 4000 of them
    took two minutes when each new name was looked up in the list of the others."""
    text = ECARTS.read_text(encoding="utf-8")
    start, end = text.index('<session numero="S1">'), text.index("</action>")
    path = tmp_path / "sessions.xml"
    path.write_text(text[:start] + "<session/>" * 5000 + text[end:], encoding="utf-8")
    script = textwrap.dedent(f"""
        from harvesters.lheo import LheoHarvester
        ids = [item.row["id"] for item in LheoHarvester({str(path)!r}).items()]
        print(len(ids), len(set(ids)), ids[0], ids[1], ids[-1])
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5000", "5000", "F-974-1/A1/session--", "F-974-1/A1/session---2",
                                     "F-974-1/A1/session---5000"]


def test_windows_1252_whose_accents_happen_to_form_utf8_sequences(tmp_path):
    """« é », no-break space, « » » (E9 A0 BB) and « É » then a no-break space (C9 A0) are valid
    UTF-8 by accident; the rest of the file is not UTF-8: it is Windows-1252, not mixed."""
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8").replace(
        "Réglementation", "Label «\u00a0Qualité\u00a0» ; ACCESSIBILITÉ\u00a0: réglementation")
    path = tmp_path / "cp1252.xml"
    path.write_bytes(text.encode("cp1252"))  # still declared UTF-8
    row = rows(path)["FOR-93-0001/AF-93-0001/SE-93-0001"]
    assert "Label « Qualité » ; ACCESSIBILITÉ : réglementation" in row["description"]
    # One real UTF-8 character among them (« ’ ») and the file is mixed: refused, never guessed.
    path.write_bytes(text.encode("cp1252").replace(b" ; ", " ’ ".encode()))
    with pytest.raises(UnusableInput, match="mélange deux encodages"):
        items(path)


def test_an_undeclared_entity_is_named_with_its_line(tmp_path):
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    line = text[:text.index("Réglementation")].count("\n") + 1
    path = tmp_path / "entite.xml"
    path.write_text(text.replace("Réglementation", "R&eacute;glementation"), encoding="utf-8")
    with pytest.raises(UnusableInput, match=f"entite.xml : entité « &eacute; » non déclarée \\(ligne {line}, "):
        items(path)


def test_a_feed_cut_in_the_middle_of_a_character_is_said_to_be_cut(tmp_path, settings, engine):
    """It was said to « mélange[r] deux encodages … à la position N », N being its last byte."""
    data = (LHEO / "lheo-2.3.xml").read_bytes()
    path = tmp_path / "coupe.xml"
    path.write_bytes(data[:data.rindex("é".encode()) + 1])  # the first byte of the last « é »
    summary = run(path, settings)
    assert summary.status == "failed"
    assert summary.message.startswith("coupe.xml se termine au milieu d'un caractère UTF-8 : fichier tronqué ?")
    assert "mélange" not in summary.message and snapshot(engine) == ([], 0)
    # Declared ISO-8859-1 but written in UTF-8 (read as UTF-8), and cut the same way.
    text = (LHEO / "edof-latin1.xml").read_bytes().decode("latin-1").encode("utf-8")
    path.write_bytes(text[:text.rindex("É".encode()) + 1])
    with pytest.raises(UnusableInput, match="se termine au milieu d'un caractère UTF-8 : fichier tronqué ?"):
        items(path)


def test_bytes_not_in_the_imposed_encoding_are_said_in_french(tmp_path):
    """libxml2's « Invalid bytes in character encoding » came after a vague French sentence."""
    path = tmp_path / "cp1252.xml"
    path.write_bytes((LHEO / "lheo-2.3.xml").read_text(encoding="utf-8").encode("cp1252"))
    with pytest.raises(UnusableInput, match=r"cp1252.xml n'est pas écrit en UTF-8, l'encodage imposé : octets "
                                            r"invalides ligne \d+, colonne \d+\. Précisez le bon encodage"):
        items(path, encoding="utf-8")


def _bobigny_with(tmp_path, old: str, new: str) -> Item:
    """The first Bobigny session of lheo-2.3.xml (recruiting in its département), `old` replaced."""
    text = (LHEO / "lheo-2.3.xml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bobigny.xml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return {item.row["id"]: item for item in items(path)}["FOR-93-0001/AF-93-0001/SE-93-0001"]


BOBIGNY_PLACE = ("<codepostal>93000</codepostal>\n              <ville>Bobigny</ville>\n"
                 "              <departement>93</departement>\n"
                 "              <code-INSEE-commune>93008</code-INSEE-commune>")


@pytest.mark.parametrize("place, zone", [
    # Nouvelle-Calédonie is « 988 »: its sessions were zoned « 98 », found from no commune.
    ("<codepostal>98800</codepostal><ville>Nouméa</ville><code-INSEE-commune>98818</code-INSEE-commune>", ["988"]),
    ("<codepostal>98800</codepostal><ville>Nouméa</ville><departement>Nouvelle-Calédonie</departement>", ["988"]),
    ("<codepostal>97500</codepostal><ville>Saint-Pierre</ville><departement>975</departement>", ["975"]),
    # Monaco's postal codes (980…) and Corsica's (20…, 2A or 2B?) name no département.
    ("<codepostal>98000</codepostal><ville>Monaco</ville>", None),
    ("<codepostal>20000</codepostal><ville>Ajaccio</ville>", None),
    # Saint-Barthélemy and Saint-Martin kept Guadeloupe's postal codes (971…).
    ("<codepostal>97133</codepostal><ville>Saint-Barthélemy</ville>", ["977"]),
    ("<codepostal>97150</codepostal><ville>Marigot</ville>", ["978"]),
    ("<codepostal>97110</codepostal><ville>Pointe-à-Pitre</ville>", ["971"]),
])
def test_overseas_collectivities_are_zoned_by_their_three_digit_code(tmp_path, place, zone):
    session = _bobigny_with(tmp_path, BOBIGNY_PLACE, place)
    assert session.row.get("zone_eligibilite") == zone
    assert not validator_for("formation").check(session.row)[1]


@pytest.mark.parametrize("written", ["1 500 € HT", "1500HT", "1 500 hors taxes"])
def test_a_price_before_tax_is_not_published_as_all_taxes_included(tmp_path, written):
    """« 1 500 € HT » in `prix-total-TTC` was published as 1 500 € TTC."""
    lille = _lille_with(tmp_path, price=("<prix-total-TTC>0<", f"<prix-total-TTC>{written}<"))
    assert "prix_total_ttc" not in lille.row
    [warning] = lille.warnings
    assert (warning.code, warning.field) == ("lheo-prix-hors-taxes", "prix_total_ttc")
    assert f"« {written} »" in warning.message
    assert _lille_with(tmp_path, price=("<prix-total-TTC>0<", "<prix-total-TTC>1 500 € TTC<")).row[
        "prix_total_ttc"] == 1500
