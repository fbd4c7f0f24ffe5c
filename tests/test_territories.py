"""Territories: loading the COG and postal codes from the npm packages' files, and lookups."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from catalog.errors import UnusableInput
from catalog.territories import get_territories
from catalog.territories.loader import (
    find_files,
    load_files,
    positions_from_records,
    read_centroids,
    set_positions,
)
from tests.test_search_support import TERRITORIES, load_territories, write_records


@pytest.fixture
def territories(engine):
    load_territories(engine)
    return get_territories(engine)


def test_counts_of_a_load(engine):
    counts = load_files(engine, find_files(TERRITORIES))
    # 12 rows: 7 communes, 3 arrondissements, 2 déléguées (Saint-Denis and Annecy share the code
    # of their commune nouvelle, Annecy-le-Vieux has its own).
    assert counts == {"regions": 2, "departements": 3, "epci": 3, "communes": 12,
                      "codes_postaux": 10}


def test_commune_lookup(territories):
    sd = territories.commune("93066")
    assert (sd.nom, sd.type, sd.epci, sd.departement, sd.region) == (
        "Saint-Denis", "commune-actuelle", "200054781", "93", "11")
    assert sd.codes_postaux == ("93200", "93210")
    assert sd.position == (48.9362, 2.3574)
    assert territories.epcis["200054781"] == "Métropole du Grand Paris"
    assert territories.departements["93"] == ("Seine-Saint-Denis", "11")
    assert territories.regions["84"] == "Auvergne-Rhône-Alpes"


def test_arrondissements_and_communes_deleguees(territories):
    p11 = territories.commune("75111")
    assert (p11.type, p11.parent, p11.epci) == ("arrondissement-municipal", "75056", None)
    assert territories.covering_codes("75111") == {"75111", "75056", "200054781", "75", "france"}
    assert sorted(territories.children["75056"]) == ["75101", "75111", "75120"]
    assert territories.commune("75056").codes_postaux == ("75001", "75011", "75020")
    assert "75111" in territories.covering_codes("75056")
    old = territories.commune("74011")
    assert (old.nom, old.type, old.parent) == ("Annecy-le-Vieux", "commune-deleguee", "74010")
    assert "200066793" in territories.covering_codes("74011")  # the EPCI of its commune
    # Not its région's code: « 84 » (Auvergne-Rhône-Alpes) is also Vaucluse, whose services were
    # found from Annecy, and « 11 » (Île-de-France) Aude, whose services were found from Paris.
    assert "84" not in territories.covering_codes("74011") and "74" in territories.covering_codes("74011")
    # No position of its own: the commune it belongs to stands in.
    assert old.position is None and territories.centroid("74011") == (45.8992, 6.1294)


def test_postal_codes_and_name_search(territories):
    assert [c.code for c in territories.communes_for_postal_code("74940")] == ["74010"]
    assert [c.code for c in territories.communes_for_postal_code("93200")] == ["93066"]
    assert territories.communes_for_postal_code("00000") == []
    assert [c.code for c in territories.search_communes("saint d")] == ["93066"]
    assert [c.nom for c in territories.search_communes("ANNECY")] == ["Annecy", "Annecy-le-Vieux"]
    assert [c.code for c in territories.search_communes("thones")] == ["74280"]
    assert [c.code for c in territories.search_communes("arrondissement", limit=2)] == [
        "75120", "75111"]  # biggest first


def test_reload_keeps_known_positions(engine, territories):
    load_files(engine, find_files(TERRITORIES))
    assert get_territories(engine).commune("93066").position == (48.9362, 2.3574)


def test_positions_from_records_fill_only_missing(engine, territories):
    write_records(engine, [
        ("service", {"source": "t", "id": "t--1", "nom": "a", "code_insee": "74280",
                     "latitude": 45.88, "longitude": 6.32}),
        ("service", {"source": "t", "id": "t--2", "nom": "b", "code_insee": "74280",
                     "latitude": 45.90, "longitude": 6.34}),
        ("service", {"source": "t", "id": "t--3", "nom": "c", "code_insee": "93066",
                     "latitude": 40.0, "longitude": 1.0}),
    ])
    positions = positions_from_records(engine)
    assert positions["74280"] == pytest.approx((45.89, 6.33))
    assert set_positions(engine, positions, "enregistrements", overwrite=False) == 1
    t = get_territories(engine)
    assert t.commune("74280").position == pytest.approx((45.89, 6.33))
    assert t.commune("93066").position == (48.9362, 2.3574)  # the official one stays


def test_coordinates_that_are_no_place_do_not_move_a_commune(engine, territories):
    """One record at (0, 0) put Saint-Denis in Algeria, one in Lambert-93 metres off the globe."""
    write_records(engine, [
        ("service", {"source": "t", "id": "t--1", "nom": "a", "code_insee": "74280", "latitude": 45.88, "longitude": 6.32}),
        ("service", {"source": "t", "id": "t--2", "nom": "b", "code_insee": "74280", "latitude": 0, "longitude": 0}),
        ("service", {"source": "t", "id": "t--3", "nom": "c", "code_insee": "74280",
                     "latitude": 6540000.0, "longitude": 940000.0}),
        ("service", {"source": "t", "id": "t--4", "nom": "d", "code_insee": "74281", "latitude": 0.0, "longitude": 0.0}),
    ])
    positions = positions_from_records(engine)
    assert positions["74280"] == pytest.approx((45.88, 6.32)) and "74281" not in positions


def test_a_city_placed_only_by_its_arrondissements_records_is_where_they_are(engine):
    """Records give arrondissement codes (75111), never the city's: Paris got no position from
    them, and a search for Paris found none of the records placed in it."""
    load_files(engine, find_files(TERRITORIES))
    set_positions(engine, {"75101": (48.86, 2.34), "75111": (48.86, 2.38)}, "enregistrements")
    t = get_territories(engine)
    assert t.commune("75056").position is None
    assert t.centroid("75056") == pytest.approx((48.86, 2.36))
    assert t.centroid("75120") == pytest.approx((48.86, 2.36))  # an arrondissement without one: its city's
    assert t.centroid("93066") is None  # nothing known around it


def test_centroid_formats(tmp_path):
    assert read_centroids(TERRITORIES / "centroides.json")["93066"] == (48.9362, 2.3574)
    geojson = tmp_path / "c.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "74280"},
         "geometry": {"type": "Point", "coordinates": [6.3254, 45.8815]}}]}))
    assert read_centroids(geojson) == {"74280": (45.8815, 6.3254)}
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("code,latitude,longitude\n74280,45.8815,6.3254\n75056,,\n")
    assert read_centroids(csv_file) == {"74280": (45.8815, 6.3254)}


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(UnusableInput, match="npm install --prefix var/npm"):
        find_files(tmp_path)


def test_npm_layout_is_found(tmp_path):
    data = tmp_path / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
    data.mkdir(parents=True)
    for name in ("communes.json", "epci.json", "departements.json", "regions.json"):
        (data / name).write_text((TERRITORIES / "decoupage" / name).read_text())
    postal = tmp_path / "node_modules" / "codes-postaux"
    postal.mkdir()
    (postal / "codes-postaux.json").write_text("[]")
    files = find_files(tmp_path)
    assert files.communes == data / "communes.json"
    assert files.codes_postaux == postal / "codes-postaux.json"


def test_cli_load_and_show(settings, engine):
    from maillage.cli.territories import command

    runner = CliRunner()
    result = runner.invoke(command, ["load", "--from", str(TERRITORIES), "--centroids",
                                     str(TERRITORIES / "centroides.json")])
    assert result.exit_code == 0, result.output
    assert "communes 12" in result.output and "Positions du fichier officiel : 10" in result.output
    shown = runner.invoke(command, ["show", "93200"])
    assert shown.exit_code == 0
    assert "93066 Saint-Denis" in shown.output and "EPCI 200054781" in shown.output
    assert "geo.api.gouv.fr" in runner.invoke(command, ["load", "--help"]).output
    bad = runner.invoke(command, ["load", "--from", str(TERRITORIES / "decoupage" / "..")
                                  + "/nowhere"])
    assert bad.exit_code != 0


def test_cli_positions_places_communes_from_records_without_reloading(settings, engine):
    from catalog.territories import clear_cache
    from maillage.cli.territories import command

    runner = CliRunner()
    assert runner.invoke(command, ["load", "--from", str(TERRITORIES)]).exit_code == 0
    assert get_territories(engine).commune("74280").position is None
    write_records(engine, [("service", {"source": "t", "id": "t--1", "nom": "a", "code_insee": "74280",
                                        "latitude": 45.88, "longitude": 6.32})])
    result = runner.invoke(command, ["positions"])
    assert result.exit_code == 0 and "1 communes" in result.output
    clear_cache()
    assert get_territories(engine).commune("74280").position == pytest.approx((45.88, 6.32))


def test_overseas_collectivities_load_with_their_three_digit_codes(engine, tmp_path):
    """Saint-Pierre-et-Miquelon, Wallis-et-Futuna… are their own « région » in the official files
    (code 975, 986…): PostgreSQL refused the whole load, the columns held two characters."""
    for name in ("communes.json", "departements.json", "regions.json", "epci.json"):
        rows = json.loads((TERRITORIES / "decoupage" / name).read_text(encoding="utf-8"))
        rows += {
            "communes.json": [{"code": "97502", "nom": "Saint-Pierre", "departement": "975", "region": "975",
                               "zone": "com", "type": "commune-actuelle", "codesPostaux": ["97500"]}],
            "departements.json": [{"code": "975", "region": "975", "chefLieu": "97502",
                                   "nom": "Saint-Pierre-et-Miquelon", "zone": "com"}],
            "regions.json": [{"code": "975", "chefLieu": "97502", "nom": "Saint-Pierre-et-Miquelon", "zone": "com"}],
            "epci.json": [],
        }[name]
        (tmp_path / name).write_text(json.dumps(rows), encoding="utf-8")
    load_files(engine, find_files(tmp_path))
    territories = get_territories(engine)
    commune = territories.commune("97502")
    assert (commune.nom, commune.departement, commune.region) == ("Saint-Pierre", "975", "975")
    assert territories.departements["975"] == ("Saint-Pierre-et-Miquelon", "975")
    assert territories.regions["975"] == "Saint-Pierre-et-Miquelon"
