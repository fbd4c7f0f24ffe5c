"""DCAT catalogs → registered sources: formats from dct:conformsTo, paging, bookkeeping, safety."""

from __future__ import annotations

import re

import orjson
import pytest
import responses
from click.testing import CliRunner
from sqlalchemy import select

from catalog.models import HarvestJob
from catalog.sources import SourceSpec, get_source, list_sources, register_source
from harvesters import FORMATS
from harvesters.dcat import DcatHarvester
from harvesters.engine import harvest, harvest_source
from harvesters.jobs import job_summary
from tests.conftest import FIXTURES, corpus_path
from tests.local_server import local_server

HERE = FIXTURES / "dcat"
OUR_SERVICE = "https://raw.githubusercontent.com/maillage/maillage/main/schemas/service/schema.json"


@pytest.fixture(autouse=True)
def formats(monkeypatch):
    """LHEO is installed, dispositif-aide is not, whatever the other harvesters' state."""
    monkeypatch.setitem(FORMATS, "lheo", "harvesters.lheo:LheoHarvester")
    monkeypatch.delitem(FORMATS, "dispositif-aide", raising=False)


def run(location, settings, source="region", **kwargs):
    options = kwargs.pop("options", {})
    return harvest(DcatHarvester(str(location), options=options), source=source, settings=settings, **kwargs)


def sources(engine):
    return {spec.name: spec for spec in list_sources(engine)}


def reasons(summary):
    return sorted((g.code, g.count) for g in summary.groups if g.code)


def test_turtle_catalog_registers_one_source_per_harvestable_distribution(settings, engine):
    summary = run(HERE / "catalogue.ttl", settings)
    assert summary.status == "done" and summary.format == "dcat"
    assert summary.counts["read"] == 6 and summary.counts["added"] == 4 and summary.counts["invalid"] == 0
    registered = sources(engine)
    assert sorted(registered) == [
        "region-formations-idf", "region-referentiel-offre-insertion-service",
        "region-referentiel-offre-insertion-structure", "region-services-plaine-commune"]
    services = registered["region-services-plaine-commune"]
    # Of the CSV and the JSON of the same schema, one source: the JSON.
    assert services.format == "frictionless" and services.options["kind"] == "service"
    assert services.location == "https://data.exemple-region.fr/fichiers/services-plaine-commune.json"
    assert services.title == "Services d'insertion de Plaine Commune"  # French title chosen
    origin = services.options["dcat"]
    assert origin["publisher"] == "Établissement public territorial Plaine Commune"
    assert origin["licence"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    assert origin["media_type"] == "application/json" and origin["conforms_to"] == [OUR_SERVICE]
    assert services.schedule is None and services.credentials_ref is None
    lheo = registered["region-formations-idf"]
    assert lheo.format == "lheo" and lheo.location.endswith("offre-formation-lheo.xml")  # accessURL
    assert lheo.options["dcat"]["publisher"] == "Carif-Oref Île-de-France"
    structures = registered["region-referentiel-offre-insertion-structure"]
    assert structures.format == "datainclusion" and structures.location.endswith("structures.parquet")
    assert structures.title == "Référentiel de l'offre d'insertion (data·inclusion) — Structures"
    # Not harvestable, each with its reason in the report.
    assert reasons(summary) == [("duplicate-distribution", 1), ("format-not-installed", 1), ("no-distribution", 1),
                                ("no-schema", 1)]
    assert summary.counts["warnings"] == 4  # each one left aside is counted, not only listed
    messages = {g.message for g in summary.groups if g.code == "no-schema"}
    with engine.connect() as conn:
        from harvesters.report import iter_lines

        lines = [line for line in iter_lines(conn, summary.job_id) if line["status"] == "ignored"]
    texts = " | ".join(e["message"] for line in lines for e in line["errors"])
    assert "aucun schéma déclaré (dct:conformsTo)" in texts
    assert "le format « dispositif-aide » n'est pas installé" in texts
    assert "mêmes données que la distribution https://data.exemple-region.fr/datasets/services-plaine-commune-json" \
        in texts
    assert "n'a aucune distribution" in texts
    assert messages  # grouped for the summary too


def test_second_run_changes_nothing_and_a_dry_run_registers_nothing(settings, engine):
    dry = run(HERE / "catalogue.ttl", settings, dry_run=True)
    assert dry.counts["added"] == 4 and dry.dry_run and sources(engine) == {}
    run(HERE / "catalogue.ttl", settings)
    again = run(HERE / "catalogue.ttl", settings)
    assert again.counts["unchanged"] == 4 and again.counts["added"] == again.counts["updated"] == 0
    summary = job_summary(engine, again.job_id)
    assert summary["format"] == "dcat" and summary["status"] == "done" and summary["counts"]["read"] == 6


def catalog(*datasets: tuple[str, str]) -> str:
    """A Turtle catalog of datasets (identifier, title), each one CSV of our service schema."""
    blocks = ["@prefix dcat: <http://www.w3.org/ns/dcat#> .", "@prefix dct: <http://purl.org/dc/terms/> ."]
    for key, title in datasets:
        blocks.append(
            f'<https://c.exemple.fr/jdd/{key}> a dcat:Dataset ; dct:title "{title}"@fr ; dcat:distribution '
            f'[ dcat:downloadURL <https://c.exemple.fr/f/{key}.csv> ; dct:conformsTo <{OUR_SERVICE}> ] .')
    return "\n".join(blocks)


def test_sources_no_longer_published_are_disabled_behind_the_circuit_breaker(tmp_path, settings, engine):
    path = tmp_path / "catalogue.ttl"
    all_five = [(f"jdd{n}", f"Jeu {n}") for n in range(5)]
    path.write_text(catalog(*all_five), encoding="utf-8")
    assert run(path, settings, source="c").counts["added"] == 5
    path.write_text(catalog(*all_five[1:]), encoding="utf-8")
    summary = run(path, settings, source="c")
    assert summary.counts["archived"] == 1 and summary.counts["unchanged"] == 4
    gone = get_source(engine, "c-jdd0")
    assert gone.enabled is False and gone.options["dcat"]["disabled_by_catalog"] is True
    # Published again: enabled again.
    path.write_text(catalog(*all_five), encoding="utf-8")
    back = run(path, settings, source="c")
    assert back.counts["updated"] == 1 and get_source(engine, "c-jdd0").enabled is True
    # A catalog that suddenly lost most of its datasets is held: nothing changes.
    path.write_text(catalog(all_five[0]), encoding="utf-8")
    held = run(path, settings, source="c")
    assert held.status == "held" and "4 source(s) sur 5" in held.message
    assert all(spec.enabled for spec in sources(engine).values())
    forced = run(path, settings, source="c", force=True)
    assert forced.status == "done" and forced.counts["archived"] == 4


def test_a_person_s_settings_survive_and_a_name_taken_elsewhere_is_not_overwritten(tmp_path, settings, engine):
    path = tmp_path / "catalogue.ttl"
    path.write_text(catalog(("jdd1", "Premier titre"), ("jdd2", "Deuxième")), encoding="utf-8")
    register_source(engine, SourceSpec(name="c-jdd2", format="datainclusion", location="/donnees/moi.json"))
    summary = run(path, settings, source="c")
    assert summary.status == "done-with-errors" and summary.counts["invalid"] == 1
    assert [g.code for g in summary.groups if g.status == "invalid"] == ["name-taken"]
    assert get_source(engine, "c-jdd2").location == "/donnees/moi.json"
    spec = get_source(engine, "c-jdd1")
    spec.schedule, spec.credentials_ref, spec.grace_days = "daily", "JETON_CATALOGUE", 2
    register_source(engine, spec)
    path.write_text(catalog(("jdd1", "Nouveau titre")), encoding="utf-8")
    run(path, settings, source="c")
    spec = get_source(engine, "c-jdd1")
    assert spec.title == "Nouveau titre"
    assert (spec.schedule, spec.credentials_ref, spec.grace_days) == ("daily", "JETON_CATALOGUE", 2)


def test_rdf_xml_catalog(settings, engine):
    summary = run(HERE / "catalogue.rdf", settings, source="metropole")
    assert summary.counts["read"] == 2 and summary.counts["added"] == 1
    spec = get_source(engine, "metropole-structures-insertion")
    assert spec.format == "frictionless" and spec.options["kind"] == "structure"
    assert spec.location == "https://opendata.exemple-metropole.fr/fichiers/insertion/datapackage.json"
    assert spec.options["dcat"]["publisher"] == "Métropole Exemple"
    [group] = [g for g in summary.groups if g.code == "unsupported-schema"]
    assert "schéma non pris en charge" in group.message and "amenagements-cyclables" in group.message


def test_json_ld_catalog_with_inline_context(settings, engine):
    summary = run(HERE / "catalogue.jsonld", settings, source="departement")
    assert summary.counts["read"] == 2 and summary.counts["added"] == 1
    spec = get_source(engine, "departement-services-insertion")
    assert spec.location == "https://donnees.exemple-departement.fr/fichiers/services.csv"
    assert spec.options["dcat"]["media_type"] == "text/csv"
    assert spec.options["dcat"]["publisher"] == "Département Exemple"


def serve_pages(rsps, *, loop=False):
    base = "https://catalogue.exemple.fr/catalog.ttl"
    page_2 = (HERE / "page-2.ttl").read_text()
    if loop:
        page_2 += f"\n<{base}?page=2> <http://www.w3.org/ns/hydra/core#next> <{base}?page=1> .\n"
    rsps.get(base, body=(HERE / "page-1.ttl").read_bytes(), content_type="text/turtle",
             match=[responses.matchers.query_param_matcher({})])
    rsps.get(base, body=(HERE / "page-1.ttl").read_bytes(), content_type="text/turtle",
             match=[responses.matchers.query_param_matcher({"page": "1"})])
    rsps.get(base, body=page_2.encode(), content_type="text/turtle; charset=utf-8",
             match=[responses.matchers.query_param_matcher({"page": "2"})])
    return base


def test_hydra_paging_reads_every_page(settings, engine):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        base = serve_pages(rsps)
        summary = run(base, settings, source="national")
        assert [c.request.url for c in rsps.calls] == [base, f"{base}?page=2"]
        assert "text/turtle" in rsps.calls[0].request.headers["Accept"]
    assert summary.counts["read"] == 3 and summary.counts["added"] == 3
    assert get_source(engine, "national-3").options["kind"] == "solution-mobilite"


def test_a_page_without_next_before_the_announced_total_disables_nothing(settings, engine):
    """Page 1 losing its `hydra:next` read as the last page: the datasets of page 2, counted in
    `hydra:totalItems`, had their sources disabled at once."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        run(serve_pages(rsps), settings, source="national")
    base = "https://catalogue.exemple.fr/catalog.ttl"
    first = (HERE / "page-1.ttl").read_text().replace(f"    hydra:next <{base}?page=2> ;\n", "")
    with responses.RequestsMock() as rsps:
        rsps.get(base, body=first.encode(), content_type="text/turtle")
        summary = run(base, settings, source="national")
    assert summary.status == "done" and summary.counts["read"] == 2, summary.message
    assert all(spec.enabled for spec in sources(engine).values()) and len(sources(engine)) == 3
    assert summary.message.startswith("Jeux de données : 2 enregistrement(s) distinct(s) lu(s) sur 3 annoncé(s)")
    assert summary.message.endswith("aucune source n'a été désactivée.")


def test_hydra_paging_that_loops_fails_and_registers_nothing(settings, engine):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        summary = run(serve_pages(rsps, loop=True), settings, source="national")
    assert summary.status == "failed" and "en boucle" in summary.message
    assert sources(engine) == {}
    # Page 1's datasets were read, none registered: the job says so, not what it had planned.
    assert summary.counts["read"] >= 3 and summary.counts["added"] == 0


@pytest.fixture
def context_server():
    with local_server(b'{"@context": {"dcat": "http://www.w3.org/ns/dcat#"}}', "application/ld+json") as server:
        yield server


@pytest.mark.parametrize("context", [
    "{url}/contexte.jsonld",
    ["{url}/contexte.jsonld", {"dct": "http://purl.org/dc/terms/"}],
    {"@import": "{url}/contexte.jsonld", "dct": "http://purl.org/dc/terms/"},
])
def test_a_remote_json_ld_context_is_never_fetched(tmp_path, settings, engine, context_server, context):
    context = orjson.loads(orjson.dumps(context).decode().replace("{url}", context_server.url))
    document = {"@context": context, "@id": "https://exemple.fr/jdd/1", "@type": "dcat:Dataset"}
    path = tmp_path / "catalogue.jsonld"
    path.write_bytes(orjson.dumps(document))
    summary = run(path, settings)
    assert summary.status == "failed" and "contexte JSON-LD distant" in summary.message
    assert context_server.hits == []


def test_the_context_server_does_answer(context_server):
    # So that the test above proves something: the server is reachable and counts.
    import urllib.request

    urllib.request.urlopen(f"{context_server.url}/contexte.jsonld").read()
    assert context_server.hits == ["/contexte.jsonld"]


@pytest.mark.parametrize("name", ["xxe.rdf", "milliard-de-rires.rdf"])
def test_rdf_xml_with_entities_is_refused(settings, engine, name):
    summary = run(HERE / name, settings)
    assert summary.status == "failed" and "DOCTYPE" in summary.message
    assert "root:" not in (summary.message or "") and sources(engine) == {}


def test_malformed_catalogs_fail_with_the_reason(tmp_path, settings, engine):
    bad = tmp_path / "catalogue.ttl"
    bad.write_text("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ; dct:title \"x\" .",
                   encoding="utf-8")
    summary = run(bad, settings)
    assert summary.status == "failed" and "DCAT illisible en Turtle (ligne 2 : " in summary.message
    assert 'Prefix "dct:" not bound' in summary.message and "\n" not in summary.message
    cut = tmp_path / "coupe.ttl"
    turtle = (HERE / "catalogue.ttl").read_bytes()
    for end in range(200, len(turtle), 97):  # a download cut inside a statement: refused, said on one line
        if turtle[:end].rstrip().endswith(b"."):
            continue  # cut between two statements: a shorter catalog, valid, that no parser can tell apart
        cut.write_bytes(turtle[:end])
        summary = run(cut, settings)
        assert summary.status == "failed" and "DCAT illisible en Turtle (" in summary.message, end
        assert "\n" not in summary.message and "index out of range" not in summary.message, summary.message
    html = tmp_path / "catalogue"
    html.write_text("<!DOCTYPE html><html><body>Erreur 404</body></html>", encoding="utf-8")
    summary = run(html, settings)
    assert summary.status == "failed" and "page HTML" in summary.message


def test_a_json_ld_catalog_with_a_byte_order_mark_is_read_as_turtle_is(tmp_path, settings, engine):
    path = tmp_path / "catalogue.jsonld"
    path.write_bytes(b"\xef\xbb\xbf" + (HERE / "catalogue.jsonld").read_bytes())
    summary = run(path, settings, source="departement")
    assert summary.status == "done", summary.message
    assert summary.counts["read"] == 2 and summary.counts["added"] == 1
    spec = get_source(engine, "departement-services-insertion")
    assert spec.location == "https://donnees.exemple-departement.fr/fichiers/services.csv"


def test_cli_and_a_registered_catalog_source(settings, engine):
    from maillage.cli import main

    result = CliRunner().invoke(main, ["harvest", "dcat", str(HERE / "catalogue.jsonld"), "--source", "dep",
                                       "--json"])
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.output)
    assert body["format"] == "dcat" and body["counts"]["added"] == 1 and body["source"] == "dep"
    # A catalog registered as a source runs through the same runner (and is scheduled like any other).
    register_source(engine, SourceSpec(name="catalogue-region", format="dcat", location=str(HERE / "catalogue.ttl")))
    summary = harvest_source("catalogue-region", settings=settings)
    assert summary.counts["added"] == 4
    with engine.connect() as conn:
        last = conn.execute(select(HarvestJob.__table__.c.id).order_by(HarvestJob.__table__.c.id.desc())).first()
    assert get_source(engine, "catalogue-region").name and last.id == summary.job_id


# -- DCAT-AP 3 examples (../shared/corpus/dcat-ap) -----------------------------------------

@pytest.mark.corpus
@pytest.mark.parametrize("name", ["example-bee-population.ttl", "example-bee-population-dataset-series-modified.ttl"])
def test_corpus_dcat_ap_examples_are_read_and_recorded_as_not_harvestable(settings, engine, name):
    path = corpus_path("dcat-ap", "html", "examples", name)
    # Counted independently of rdflib: subjects typed `a dcat:Dataset` in the Turtle text.
    expected = len(re.findall(r"\sa dcat:Dataset\s*;", path.read_text()))
    summary = run(path, settings, source="dcat-ap")
    assert summary.status == "done"
    assert summary.counts["read"] == expected and expected in (1, 3)
    assert summary.counts["added"] == 0
    assert reasons(summary) == [("no-distribution", expected)]  # these snippets carry no distribution


def test_datasets_listed_by_the_catalog_without_a_type_are_read(tmp_path, settings, engine):
    path = tmp_path / "catalogue.ttl"
    path.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
        "<https://c.exemple.fr/cat> a dcat:Catalog ; dcat:dataset <https://c.exemple.fr/jdd/sans-type> .\n"
        '<https://c.exemple.fr/jdd/sans-type> dct:title "Services sans type"@fr ; dcat:distribution '
        f"[ dcat:downloadURL <https://c.exemple.fr/f/s.csv> ; dct:conformsTo <{OUR_SERVICE}> ] .\n",
        encoding="utf-8")
    summary = run(path, settings, source="c")
    assert summary.counts["read"] == 1 and get_source(engine, "c-sans-type").format == "frictionless"


@pytest.mark.parametrize(("url", "said"), [
    ("https://c.exemple.fr/f/services mel.csv", "elle contient une espace (à écrire %20)"),
    ('https://c.exemple.fr/f/s.csv"x', "elle contient « \" » (à écrire %22)"),
    ("https://c.exemple.fr/f/{s}.csv", "elle contient « { » (à écrire %7B)"),
    ("https://c.exemple.fr:99999/f/s.csv", "son numéro de port est invalide"),
    ("https://[::1/f/s.csv", "son nom de serveur entre crochets n'est pas fermé"),  # was a failed run
])
def test_a_malformed_download_address_is_never_registered(tmp_path, settings, engine, caplog, url, said):
    """rdflib reads an IRI with a space or a quote, with an English warning on stderr; the source
    was registered with it, its address then guessed (encoded) by the HTTP client at each run."""
    path = tmp_path / "catalogue.ttl"
    path.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
        "<https://c.exemple.fr/jdd/s> a dcat:Dataset ; dct:title \"Services\"@fr ; dcat:distribution "
        f"[ dcat:downloadURL <{url}> ; dct:conformsTo <{OUR_SERVICE}> ] .\n", encoding="utf-8")
    summary = run(path, settings, source="c")
    assert summary.status == "done" and sources(engine) == {}
    [group] = [g for g in summary.groups if g.code == "bad-url"]
    assert group.message == f"Non moissonnable : adresse mal formée, {said}."
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]  # the report says it, in French


def test_sources_add_refuses_a_malformed_address(settings, engine):
    from maillage.cli import main

    result = CliRunner().invoke(main, ["sources", "add", "s", "datainclusion", "https://c.exemple.fr/f/a b.json"])
    assert result.exit_code == 2 and get_source(engine, "s") is None
    assert "adresse mal formée : elle contient une espace (à écrire %20)." in result.output
    result = CliRunner().invoke(main, ["sources", "add", "s", "datainclusion", "https://[::1"])  # was a traceback
    assert result.exit_code == 2 and get_source(engine, "s") is None
    assert "adresse mal formée : son nom de serveur entre crochets n'est pas fermé." in result.output


def test_control_characters_spelled_in_a_catalog_never_reach_the_sources(tmp_path, settings, engine):
    """Turtle spells a NUL as \\u0000: once an internal error on PostgreSQL, boxes in titles on SQLite."""
    text = (HERE / "catalogue.ttl").read_text(encoding="utf-8")
    title = '"Services d\'insertion de Plaine Commune"@fr'
    assert title in text
    path = tmp_path / "catalogue.ttl"
    path.write_text(text.replace(title, '"Services d\'insertion\\u0000 de Plaine\\u0092 Commune"@fr'), encoding="utf-8")
    summary = run(path, settings)
    assert summary.status == "done", summary.message
    titles = {spec.title for spec in sources(engine).values()}
    assert any(t.startswith("Services d'insertion de Plaine’ Commune") for t in titles), titles


@pytest.mark.parametrize("elsewhere", ["https://tiers.example.org/catalog.ttl?page=2",
                                       "http://catalogue.exemple.fr/catalog.ttl?page=2"])
def test_a_next_page_on_another_site_is_refused_and_never_sent_the_token(settings, engine, elsewhere):
    base = "https://catalogue.exemple.fr/catalog.ttl"
    page_1 = (f"<{base}> a <http://www.w3.org/ns/hydra/core#PartialCollectionView> ; "
              f"<http://www.w3.org/ns/hydra/core#next> <{elsewhere}> .\n"
              "<https://catalogue.exemple.fr/jdd/1> a <http://www.w3.org/ns/dcat#Dataset> .\n").encode()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(base, body=page_1, content_type="text/turtle")
        rsps.get(elsewhere.split("?")[0], body=b"", content_type="text/turtle")
        summary = harvest(DcatHarvester(base, credentials="jeton-du-catalogue"), source="national",
                          settings=settings)
        assert [c.request.url for c in rsps.calls] == [base]
    assert summary.status == "failed" and "Lien de page suivante vers un autre site refusé" in summary.message
    assert elsewhere in summary.message and "jeton-du-catalogue" not in summary.message
    assert sources(engine) == {}


def test_datasets_whose_addresses_end_alike_stay_two_sources_and_the_report_says_so(tmp_path, settings, engine):
    catalog = tmp_path / "catalogue.ttl"
    catalog.write_text("""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://data.exemple.fr/jeux/services-lyon#dataset> a dcat:Dataset ; dct:title "Lyon" ;
  dct:conformsTo <https://schema.data.gouv.fr/gip-inclusion/data-inclusion-schema/> ;
  dcat:distribution [ dcat:downloadURL <https://data.exemple.fr/f/lyon/services.json> ] .
<https://data.exemple.fr/jeux/services-paris#dataset> a dcat:Dataset ; dct:title "Paris" ;
  dct:conformsTo <https://schema.data.gouv.fr/gip-inclusion/data-inclusion-schema/> ;
  dcat:distribution [ dcat:downloadURL <https://data.exemple.fr/f/paris/services.json> ] .
""")
    summary = run(catalog, settings, source="cat")
    assert summary.counts["read"] == 2 and summary.counts["added"] == 2 and summary.counts["updated"] == 0
    registered = sources(engine)
    assert registered["cat-dataset"].location == "https://data.exemple.fr/f/lyon/services.json"
    [paris] = [spec for name, spec in registered.items() if name != "cat-dataset"]
    assert re.fullmatch(r"cat-dataset-[0-9a-f]{8}", paris.name)
    assert paris.location == "https://data.exemple.fr/f/paris/services.json"
    [group] = [g for g in summary.groups if g.code == "name-collision"]
    assert "services-lyon#dataset" in group.message and paris.name in group.message
    again = run(catalog, settings, source="cat")  # the same names, run after run
    assert again.counts["unchanged"] == 2 and again.counts["added"] == again.counts["archived"] == 0


def test_an_html_page_or_a_cut_character_is_said_whatever_the_extension(tmp_path, settings, engine):
    """An error page saved as `.ttl` was « DCAT illisible en Turtle (ligne 1 : expected '.' …) »;
    a download cut in the middle of a character, « le document n'est pas encodé en UTF-8 »."""
    page = tmp_path / "catalogue.ttl"
    page.write_text("<!DOCTYPE html>\n<html><body>Erreur 502</body></html>\n", encoding="utf-8")
    summary = run(page, settings)
    assert summary.status == "failed" and summary.message.startswith(
        f"{page.name} : page HTML reçue au lieu de données DCAT"), summary.message
    turtle = (HERE / "catalogue.ttl").read_bytes()
    page.write_bytes(turtle[:turtle.rindex("é".encode()) + 1])
    summary = run(page, settings)
    assert summary.message.startswith(f"{page.name} se termine au milieu d'un caractère UTF-8 : fichier tronqué ?")
    page.write_bytes(turtle.replace("é".encode(), b"\xe9"))
    summary = run(page, settings)
    assert summary.message.startswith(f"{page.name} n'est pas encodé en UTF-8 (premier octet invalide ligne ")
    assert sources(engine) == {}


def test_a_turtle_catalog_cut_short_is_said_to_be(tmp_path, settings, engine):
    """rdflib's « EOF found when expected verb in property list » was the only explanation."""
    cut = tmp_path / "coupe.ttl"
    turtle = (HERE / "catalogue.ttl").read_bytes()
    cut.write_bytes(turtle[:turtle.rindex(b";") + 1])
    summary = run(cut, settings)
    assert summary.status == "failed"
    assert "le document s'arrête avant sa fin, fichier tronqué ? (EOF found" in summary.message, summary.message


@pytest.mark.parametrize("french", ["fr-FR", "FR", "fr"])
def test_a_french_title_and_publisher_win_whatever_the_case_of_their_tag(tmp_path, settings, engine, french):
    """BCP 47 tags ignore case and `fr-FR` is French: « Inclusion services » (the English title)
    was registered when the French one was tagged `fr-FR`."""
    path = tmp_path / "catalogue.ttl"
    path.write_text(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        f'<https://c.exemple.fr/jdd/s> a dcat:Dataset ; dct:title "Inclusion services"@en, "Services d\'insertion"@{french} ;\n'
        f'  dct:publisher [ foaf:name "Plaine Commune (EN)"@en, "Établissement Plaine Commune"@{french} ] ;\n'
        f"  dcat:distribution [ dcat:downloadURL <https://c.exemple.fr/f/s.csv> ; dct:conformsTo <{OUR_SERVICE}> ] .\n",
        encoding="utf-8")
    run(path, settings, source="c")
    [spec] = sources(engine).values()
    assert spec.title == "Services d'insertion"
    assert spec.options["dcat"]["publisher"] == "Établissement Plaine Commune"


def test_a_catalog_already_being_read_is_not_read_twice_at_once(settings, engine):
    """A second run waited for the lock, then registered again what the first had just done."""
    import os
    import socket

    from sqlalchemy import update

    from catalog.clock import utcnow
    from catalog.models import HarvestJob
    from harvesters import job_lease

    busy = job_lease.insert_leased(engine, HarvestJob.__table__.insert().values(
        source="region", format="dcat", location="ailleurs", status="running",
        dry_run=False, forced=False, kinds="[]", created_at=utcnow(), started_at=utcnow(),
        pid=os.getppid(), host=socket.gethostname(),
        read=0, added=0, updated=0, unchanged=0, invalid=0, archived=0, missing=0, restored=0, warnings=0))
    refused = run(HERE / "catalogue.ttl", settings)
    assert refused.status == "failed" and refused.refused and f"déjà en cours (tâche {busy})" in refused.message
    assert sources(engine) == {}
    assert run(HERE / "catalogue.ttl", settings, dry_run=True).counts["added"] == 4  # writes nothing: allowed
    with engine.begin() as conn:
        conn.execute(update(HarvestJob.__table__).where(HarvestJob.__table__.c.id == busy).values(status="done"))
    job_lease.release(busy)
    assert run(HERE / "catalogue.ttl", settings).counts["added"] == 4


def test_a_schedule_option_is_read_before_any_source_is_registered(settings, engine):
    """Never read, a schedule of 177 characters reached the database: PostgreSQL failed the whole
    job with a traceback, SQLite stored a schedule every run then reported as unreadable."""
    for schedule, said in ((",".join(map(str, range(60))) + " * * * *", "plus de 100 caractères"),
                           ("toutes les lunes", "attendu hourly, daily")):
        summary = run(HERE / "catalogue.ttl", settings, options={"prefix": "px", "schedule": schedule})
        assert summary.status == "failed" and said in summary.message and "Traceback" not in summary.message
        assert sources(engine) == {}
    assert run(HERE / "catalogue.ttl", settings, options={"prefix": "px", "schedule": "daily"}).status == "done"
    assert {spec.schedule for spec in sources(engine).values()} == {"daily"}
