"""LHEO actions taught in several places: rows in each place, stable ids, nothing lost or invented."""

from __future__ import annotations

from sqlalchemy import select

from catalog.models import Record
from harvesters.engine import harvest
from harvesters.lheo import MAX_PLACES, LheoHarvester
from tests.conftest import FIXTURES

FEED = FIXTURES / "lheo" / "plusieurs-lieux.xml"
RECORDS = Record.__table__


def items(path=FEED):
    return list(LheoHarvester(str(path), options={"source": "carif"}).items())


def run(path, settings, **kwargs):
    return harvest(LheoHarvester(str(path), options={"source": "carif"}), source="carif", settings=settings, **kwargs)


def states(engine) -> dict[str, tuple[str, bool]]:
    """id → (status, missing from its source)."""
    with engine.connect() as conn:
        rows = conn.execute(select(RECORDS.c.id, RECORDS.c.status, RECORDS.c.missing_since)).all()
    return {id_: (status, missing is not None) for id_, status, missing in rows}


def test_each_distinct_place_of_an_action_has_rows_of_its_own():
    rows = {item.row["id"]: item.row for item in items()}
    # The first place keeps the plain ids; the repeated Lyon address and the lieu without an
    # address add nothing.
    assert sorted(rows) == ["FOR-69-0001/AF-69-0001/SE-1", "FOR-69-0001/AF-69-0001/SE-1/lieu-LI-VLB",
                            "FOR-69-0001/AF-69-0001/SE-2", "FOR-69-0001/AF-69-0001/SE-2/lieu-LI-VLB",
                            "FOR-69-0001/AF-69-0002", "FOR-69-0001/AF-69-0002/lieu-2"]
    lyon, villeurbanne = rows["FOR-69-0001/AF-69-0001/SE-2"], rows["FOR-69-0001/AF-69-0001/SE-2/lieu-LI-VLB"]
    assert (lyon["commune"], lyon["code_insee"], lyon["latitude"]) == ("Lyon", "69387", 45.731)
    assert (villeurbanne["commune"], villeurbanne["code_insee"], villeurbanne["longitude"]) == ("Villeurbanne", "69266", 4.88)
    # Everything else is the same session: its dates, its action, its formation.
    assert villeurbanne["numero_session"] == lyon["numero_session"] == "SE-2"
    assert villeurbanne["date_debut"] == lyon["date_debut"] == "2026-01-05"
    assert villeurbanne["nom"] == lyon["nom"]
    # A place's own contacts come first; the recruitment zone (a commune) is each place's own.
    assert (lyon["telephone"], villeurbanne["telephone"]) == ("+33472000000", "+33478000002")
    assert (lyon["zone_eligibilite"], villeurbanne["zone_eligibilite"]) == (["69387"], ["69266"])


def test_a_repair_is_reported_on_the_rows_of_its_own_place_only():
    found = {item.row["id"]: item for item in items()}
    venissieux, vaulx = found["FOR-69-0001/AF-69-0002"], found["FOR-69-0001/AF-69-0002/lieu-2"]
    assert venissieux.warnings == []
    assert [w.code for w in vaulx.warnings] == ["lheo-coordonnees-inversees"]
    assert vaulx.reference.endswith(", lieu-2")
    assert (vaulx.row["latitude"], vaulx.row["longitude"]) == (45.78, 4.92)


def test_places_are_stored_valid_and_stable(settings, engine):
    first = run(FEED, settings)
    assert first.status == "done" and first.counts["added"] == 6 and first.counts["invalid"] == 0
    again = run(FEED, settings)
    assert again.counts["unchanged"] == 6 and again.counts["added"] == again.counts["updated"] == 0


def test_a_place_gone_from_the_feed_is_missing_its_rows_only(tmp_path, settings, engine):
    run(FEED, settings)
    text = FEED.read_text(encoding="utf-8")
    start = text.index('<lieu-de-formation numero="LI-VLB">')
    end = text.index("</lieu-de-formation>", start) + len("</lieu-de-formation>")
    fewer = tmp_path / "fewer.xml"
    fewer.write_text(text[:start] + text[end:], encoding="utf-8")
    # A third of the rows: the circuit breaker holds the run until someone confirms.
    assert run(fewer, settings).status == "held"
    summary = run(fewer, settings, force=True)
    assert summary.counts["missing"] == 2 and summary.counts["unchanged"] == 4
    now = states(engine)
    assert now["carif--FOR-69-0001/AF-69-0001/SE-1/lieu-LI-VLB"] == ("active", True)  # its grace period
    assert now["carif--FOR-69-0001/AF-69-0001/SE-1"] == ("active", False)
    assert sum(missing for _, missing in now.values()) == 2


def test_an_unmappable_formation_keeps_every_place_of_its_rows(tmp_path, settings, engine):
    run(FEED, settings)
    broken = tmp_path / "broken.xml"
    broken.write_text(FEED.read_text(encoding="utf-8").replace(
        "<intitule-formation>Titre professionnel Agent de restauration</intitule-formation>",
        "<intitule-formation></intitule-formation>"), encoding="utf-8")
    reported = [item for item in items(broken) if item.row is None]
    assert sorted(item.id_hint for item in reported) == sorted(
        f"carif--{id_}" for id_ in ("FOR-69-0001/AF-69-0001/SE-1", "FOR-69-0001/AF-69-0001/SE-1/lieu-LI-VLB",
                                    "FOR-69-0001/AF-69-0001/SE-2", "FOR-69-0001/AF-69-0001/SE-2/lieu-LI-VLB",
                                    "FOR-69-0001/AF-69-0002", "FOR-69-0001/AF-69-0002/lieu-2"))
    summary = run(broken, settings)
    assert summary.counts["invalid"] == 6 and summary.counts["missing"] == summary.counts["archived"] == 0
    assert set(states(engine).values()) == {("active", False)}


def test_a_feed_listing_thousands_of_places_does_not_multiply_its_rows(tmp_path):
    text = FEED.read_text(encoding="utf-8")
    start = text.index("<lieu-de-formation>", text.index('<action numero="AF-69-0002">'))
    end = text.index("<modalites-entrees-sorties>1", start)
    many = "".join(f"<lieu-de-formation><coordonnees><adresse><ligne>{n} rue de la Paix</ligne>"
                   f"<codepostal>69001</codepostal><ville>Lyon</ville></adresse></coordonnees></lieu-de-formation>"
                   for n in range(1, 3001))
    path = tmp_path / "many.xml"
    path.write_text(text[:start] + many + text[end:], encoding="utf-8")
    found = [item for item in items(path) if item.row["numero_action"] == "AF-69-0002"]
    assert len(found) == MAX_PLACES
    assert found[-1].row["adresse"] == f"{MAX_PLACES} rue de la Paix"
    [warning] = found[0].warnings
    assert warning.code == "lheo-lieux-ecartes" and "3000 lieux" in warning.message
    assert all(item.warnings == [] for item in found[1:])


def test_a_place_of_placeholders_places_nothing_and_the_registration_address_stands(tmp_path):
    """The XSD makes `ligne`, `codepostal` and `ville` mandatory: Intercarif fills them with
    « - » and « 00000 ». Such a place wiped the session's address (no commune, no zone: never
    found by a search around a town)."""
    text = (FIXTURES / "lheo" / "lheo-2.3.xml").read_text(encoding="utf-8")
    start = text.index("<lieu-de-formation>")
    end = text.index("</lieu-de-formation>", start) + len("</lieu-de-formation>")
    placeholders = ("<lieu-de-formation><coordonnees><adresse><ligne>-</ligne><codepostal>00000</codepostal>"
                    "<ville>-</ville></adresse></coordonnees></lieu-de-formation>")
    feed = tmp_path / "lieu-vide.xml"
    feed.write_text(text[:start] + placeholders + text[end:], encoding="utf-8")
    rows = {item.row["id"]: item.row for item in items(feed)}
    row = rows["FOR-93-0001/AF-93-0001/SE-93-0001"]  # no « /lieu-2 »: the placeholders add no row
    assert sorted(rows) == ["FOR-59-0042/AF-59-0042/SE-59-0042-1", "FOR-93-0001/AF-93-0001/SE-93-0001",
                            "FOR-93-0001/AF-93-0001/SE-93-0002"]
    assert (row["adresse"], row["code_postal"], row["commune"]) == ("21 rue de la Commune de Paris", "93000", "Bobigny")
    assert row["zone_eligibilite"] == ["93"]
    # Before a real place, the placeholders take no id of their own either.
    feed.write_text(text[:start] + placeholders + text[start:], encoding="utf-8")
    rows = {item.row["id"]: item.row for item in items(feed)}
    assert rows["FOR-93-0001/AF-93-0001/SE-93-0001"]["complement_adresse"] == "Zone d'activités des Vignes"
    assert not [id_ for id_ in rows if "lieu-" in id_]
