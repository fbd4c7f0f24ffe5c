"""A CSV file cut inside its last cell still parses: its last row must not shorten what the catalog
publishes (harvesters/cut_short.py). Files that merely lack a final line break read as before."""

from __future__ import annotations

import pytest

from catalog.tabular import UnterminatedRow, iter_rows
from harvesters.cut_short import CODE, NEW_RECORD_CODE, shortened_fields
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.dispositif_aide import DispositifAideHarvester
from harvesters.engine import harvest
from harvesters.frictionless_package import FrictionlessHarvester
from harvesters.mobilite_csv import MobiliteCsvHarvester
from tests.conftest import stored_records

TEXT = "Apprendre le vélo en ville, à Saint-Denis"


@pytest.mark.parametrize("stored, new, cut", [
    ({"commune": "Saint-Denis"}, {"commune": "Saint-Den"}, ["commune"]),
    ({"commune": "Saint-Denis"}, {}, ["commune"]),  # cut just after the last separator
    ({"montant": 125}, {"montant": 12}, ["montant"]),
    ({"publics": ["jeunes", "seniors"]}, {"publics": ["jeunes"]}, ["publics"]),
    ({"publics": ["jeunes", "seniors"]}, {"publics": ["jeunes", "sen"]}, ["publics"]),
    ({"commune": "Saint-Denis"}, {"commune": "Saint-Denis"}, []),
    ({"commune": "Saint-Den"}, {"commune": "Saint-Denis"}, []),  # longer: not a cut
    ({"commune": "Saint-Denis"}, {"commune": "Bobigny"}, []),  # another value: an update
    ({"montant": 125}, {"montant": 13}, []),
    ({"publics": ["jeunes", "seniors"]}, {"publics": ["seniors"]}, []),
    ({"description": None}, {}, []),  # nothing to lose
])
def test_a_value_is_cut_short_when_it_is_one_of_its_own_beginnings(stored, new, cut):
    assert shortened_fields(stored, new) == cut


@pytest.mark.parametrize("ending, unterminated", [("", True), ("\n", False), ("\r\n", False)])
def test_only_the_last_row_of_a_file_without_a_final_line_break_is_marked(tmp_path, ending, unterminated):
    path = tmp_path / "f.csv"
    path.write_bytes(f"id;nom\r\na;Un\r\nb;Deux{ending}".encode())
    rows = list(iter_rows(path, "csv"))
    assert [row for _, row in rows] == [{"id": "a", "nom": "Un"}, {"id": "b", "nom": "Deux"}]
    assert [isinstance(row, UnterminatedRow) for _, row in rows] == [False, unterminated]


# Each CSV harvester, with a file whose last column is a free text kept as is in the record.
FORMATS = {
    "mobilite-csv": (
        MobiliteCsvHarvester, "solution-mobilite", "id;nom;categorie;zone_eligibilite;date_maj;description",
        lambda id_, text: f"{id_};Solution {id_};garage solidaire;01053;2025-03-01;{text}"),
    "datainclusion": (
        DataInclusionHarvester, "structure", "source;id;nom;date_maj;description",
        lambda id_, text: f"asso;{id_};Structure {id_};2025-03-01;{text}"),
    "frictionless": (
        lambda location: FrictionlessHarvester(location, options={"kind": "structure"}), "structure",
        "source;id;nom;date_maj;description", lambda id_, text: f"asso;{id_};Structure {id_};2025-03-01;{text}"),
    "dispositif-aide": (
        DispositifAideHarvester, "aide", "id;titre;date_mise_a_jour;description",
        lambda id_, text: f"{id_};Aide {id_};2025-03-01;{text}"),
}


def _harvest(fmt, path, rows, ending, settings):
    harvester_class, _, header, row = FORMATS[fmt]
    path.write_text(header + "\n" + "\n".join(row(id_, text) for id_, text in rows) + ending, encoding="utf-8")
    return harvest(harvester_class(str(path)), source="pf", settings=settings)


def _text_of(engine, kind, suffix):
    [data] = [data for id_, data in stored_records(engine, kind).items() if id_.endswith(suffix)]
    return data["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_last_row_cut_inside_its_last_cell_leaves_its_record_as_it_was(tmp_path, settings, engine, fmt):
    kind = FORMATS[fmt][1]
    path = tmp_path / "source.csv"
    full = [("a1", "Réparations à prix coûtant."), ("a2", TEXT)]
    assert _harvest(fmt, path, full, "\n", settings).counts["added"] == 2

    cut = _harvest(fmt, path, [full[0], ("a2", TEXT[:-4])], "", settings)
    assert cut.status == "done-with-errors" and cut.counts["invalid"] == 1, cut.as_dict()
    [group] = [g for g in cut.groups if g.code == CODE]
    assert "« Apprendre le vélo en ville, à Saint-D » au lieu de « " + TEXT + " »" in group.message, group.message
    assert _text_of(engine, kind, "a2") == TEXT
    assert cut.counts["missing"] == 0  # refused with its id: still in the source, never archived

    # The same value, the file ending with a line break: the change is the partner's.
    meant = _harvest(fmt, path, [full[0], ("a2", TEXT[:-4])], "\n", settings)
    assert meant.status == "done" and meant.counts["updated"] == 1, meant.as_dict()
    assert _text_of(engine, kind, "a2") == TEXT[:-4]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_without_a_final_line_break_is_otherwise_read_as_before(tmp_path, settings, engine, fmt):
    kind = FORMATS[fmt][1]
    path = tmp_path / "source.csv"
    assert _harvest(fmt, path, [("a1", "Un texte."), ("a2", TEXT)], "", settings).counts["added"] == 2
    # A new value that is no beginning of the old one, and a new record last: nothing to compare.
    changed = _harvest(fmt, path, [("a1", "Un texte."), ("a2", "Atelier vélo le samedi"), ("a3", "Nouveau")], "",
                       settings)
    assert changed.status == "done", changed.as_dict()
    assert (changed.counts["updated"], changed.counts["added"]) == (1, 1), changed.as_dict()
    assert _text_of(engine, kind, "a2") == "Atelier vélo le samedi"
    # The new record is published, with a warning: had the file been cut, so would it be.
    assert _text_of(engine, kind, "a3") == "Nouveau"
    [warning] = [g for g in changed.groups if g.code == NEW_RECORD_CODE]
    assert changed.counts["warnings"] == 1 and len(warning.examples) == 1, changed.as_dict()
    assert "vérifiez-la" in warning.message

    # Ending with a line break, a new last record is no cause for concern.
    terminated = _harvest(fmt, path, [("a1", "Un texte."), ("a2", "Atelier vélo le samedi"), ("a3", "Nouveau"),
                                      ("a4", "Autre")], "\n", settings)
    assert terminated.counts["added"] == 1 and terminated.counts["warnings"] == 0, terminated.as_dict()


@pytest.mark.parametrize("cut_at, said", [
    ("link:", "lien_demarche vide au lieu de « https://demarches"),  # cut between two keys: the last ones are gone
    ("  - type: etudiant", "conditions"),  # cut in a list: its last items are gone
    # Cut in `teleservice`, which no longer reads as an address: `lien_demarche` takes `link`
    # instead, no shortening to see. aides-jeunes files always end with a line break: any change.
    ("ps://demarches", "changerait la fiche publiée (lien_demarche) : lien_demarche « https://www.montreuil.fr/"),
])
def test_an_aides_jeunes_file_cut_between_two_keys_leaves_its_aid_as_it_was(tmp_path, settings, engine, cut_at,
                                                                            said):
    import shutil

    from harvesters.aides_jeunes import AidesJeunesHarvester
    from tests.conftest import FIXTURES

    copy = tmp_path / "aides-jeunes"
    shutil.copytree(FIXTURES / "aides" / "aides-jeunes", copy)
    benefit = copy / "data" / "benefits" / "javascript" / "montreuil-bourse-permis.yml"
    whole = benefit.read_text(encoding="utf-8")

    def run():
        return harvest(AidesJeunesHarvester(str(copy), options={"date_maj": "2025-03-01"}), settings=settings)

    first = run()
    published = {id_: data for id_, data in stored_records(engine, "aide").items() if id_.endswith("permis")}
    assert len(published) == 1 and first.counts["added"] >= 1

    benefit.write_text(whole[:whole.index(cut_at)].rstrip("\n"), encoding="utf-8")
    cut = run()
    [group] = [g for g in cut.groups if g.code == CODE]
    assert group.examples == ["data/benefits/javascript/montreuil-bourse-permis.yml"], group
    assert said in group.message, group.message
    assert {i: d for i, d in stored_records(engine, "aide").items() if i in published} == published
    assert cut.counts["missing"] == 0 and cut.counts["updated"] == 0, cut.as_dict()

    benefit.write_text(whole[:whole.index(cut_at)].rstrip("\n") + "\n", encoding="utf-8")  # its line break: meant
    meant = run()
    assert meant.counts["updated"] == 1 and not [g for g in meant.groups if g.code == CODE], meant.as_dict()


@pytest.mark.parametrize("cut_date", ["2025-02-1", ""])
def test_a_date_cut_at_the_end_of_a_file_leaves_its_record_as_it_was(tmp_path, settings, engine, cut_date):
    """A date cut away is replaced by the file's own: the record's date alone changed, and it was
    published. A date cut short (« 2025-02-1 ») is not a date of the template's (strptime read it as
    1 February): the row is refused for it, wherever it stands."""
    path = tmp_path / "plateformes.csv"
    header = "id;nom;categorie;zone_eligibilite;description;date_maj"

    def run(last_date, ending):
        path.write_text(f"{header}\na1;Atelier;garage solidaire;01053;Réparations.;{last_date}{ending}", encoding="utf-8")
        return harvest(MobiliteCsvHarvester(str(path)), source="pf", settings=settings)

    assert run("2025-02-10", "\n").counts["added"] == 1
    cut = run(cut_date, "")
    if cut_date:
        [group] = [g for g in cut.groups if g.field == "date_maj"]
        assert "date illisible (« 2025-02-1 »)" in group.message and cut.counts["invalid"] == 1
    else:
        [group] = [g for g in cut.groups if g.code == CODE]
        assert "ne changerait que la date de mise à jour" in group.message and "« 2025-02-10 »" in group.message
    [record] = stored_records(engine, "solution-mobilite").values()
    assert record["date_maj"] == "2025-02-10" and cut.counts["updated"] == 0

    meant = run("2025-02-11", "")  # not the date's beginning either: still judged by the date rule
    assert meant.counts["invalid"] == 1, meant.as_dict()
    meant = run("2025-02-11", "\n")  # ends with its line break: the source's change
    assert meant.counts["updated"] == 1 and stored_records(engine, "solution-mobilite")["pf--a1"]["date_maj"] == "2025-02-11"


def test_only_a_date_change_alone_is_judged_as_a_cut():
    from harvesters.cut_short import cut_fields

    stored = {"nom": "Atelier", "date_maj": "2025-02-10"}
    assert cut_fields(stored, {"nom": "Atelier", "date_maj": "2025-02-01"}) == ["date_maj"]
    assert cut_fields(stored, {"nom": "Atelier vélo", "date_maj": "2025-02-11"}) == []  # an update
    assert cut_fields(stored, {"nom": "Atel", "date_maj": "2025-02-01"}) == ["nom"]


def test_an_aides_jeunes_institution_file_cut_short_leaves_its_aids_as_they_were(tmp_path, settings, engine):
    """An aid takes its territory and codes from its institution's file: cut before
    `code_siren`, it changed every aid of the institution without a word."""
    import shutil

    from harvesters.aides_jeunes import AidesJeunesHarvester
    from tests.conftest import FIXTURES

    copy = tmp_path / "aides-jeunes"
    shutil.copytree(FIXTURES / "aides" / "aides-jeunes", copy)
    institution = copy / "data" / "institutions" / "ville_de_montreuil.yml"
    whole = institution.read_text(encoding="utf-8")

    def run():
        return harvest(AidesJeunesHarvester(str(copy), options={"date_maj": "2025-03-01"}), settings=settings)

    run()
    published = stored_records(engine, "aide")
    assert any(aid.get("institution_siren") == "219300480" for aid in published.values())

    institution.write_text(whole[:whole.index('"219300480"')], encoding="utf-8")  # code_siren: (nothing)
    cut = run()
    assert stored_records(engine, "aide") == published and cut.counts["updated"] == 0, cut.as_dict()
    assert [g for g in cut.groups if g.code == CODE] and "ville_de_montreuil.yml se termine sans saut de ligne" in (
        cut.message), cut.message

    institution.write_text(whole[:whole.index("code_siren")], encoding="utf-8")  # ends with its line break
    meant = run()
    assert meant.counts["updated"] >= 1 and not [g for g in meant.groups if g.code == CODE], meant.as_dict()
