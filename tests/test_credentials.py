"""Whose token goes where: a format's default token only to that format's official site; a
source's own variable for any other; a token never printed, stored, or sent where no header can
carry it."""

from __future__ import annotations

import pytest
import responses
from click.testing import CliRunner

from catalog.sources import get_source, list_sources
from harvesters.aides_territoires import AidesTerritoiresHarvester
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.dcat import DcatHarvester
from harvesters.dora import DoraHarvester
from harvesters.engine import build_harvester, harvest, harvest_source
from harvesters.mobilite_csv import MobiliteCsvHarvester
from maillage.cli import main

PARTNER = "https://collecte.example.net/inclusion"
EMPTY = {"items": [], "pages": 1, "total": 0, "page": 1, "size": 1000}
CATALOG = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://partenaire.example.org/ds/services> a dcat:Dataset ; dct:title "Services du partenaire" ;
  dct:conformsTo <https://schema.data.gouv.fr/gip-inclusion/data-inclusion-schema/> ;
  dcat:distribution <https://partenaire.example.org/ds/services/api> .
<https://partenaire.example.org/ds/services/api> a dcat:Distribution ; dcat:accessURL <%s> .
"""


@pytest.fixture
def operator_token(monkeypatch):
    monkeypatch.setenv("DATAINCLUSION_API_TOKEN", "jeton-de-l-operateur")


def serve_empty(rsps, base):
    for path in ("structures", "services"):
        rsps.get(f"{base}/api/v1/{path}", json=EMPTY)


def test_a_source_registered_from_a_catalog_never_gets_the_operator_s_token(tmp_path, settings, engine,
                                                                           operator_token):
    catalog = tmp_path / "catalogue.ttl"
    catalog.write_text(CATALOG % PARTNER)
    harvest(DcatHarvester(str(catalog)), source="partenaire", settings=settings)
    [spec] = [s for s in list_sources(engine) if s.format == "datainclusion"]
    assert spec.location == PARTNER and spec.credentials_ref is None
    with responses.RequestsMock() as rsps:
        serve_empty(rsps, PARTNER)
        summary = harvest_source(spec.name, settings=settings)
        assert len(rsps.calls) == 2
        assert all("Authorization" not in call.request.headers for call in rsps.calls)
    assert summary.status == "done"


def test_a_catalog_moving_a_source_to_another_site_takes_its_token_away(tmp_path, settings, engine):
    """The operator named a token for the partner's site; the partner's catalog, a third party's
    document, then says the distribution lives elsewhere: the token must not follow it there."""
    catalog = tmp_path / "catalogue.ttl"
    catalog.write_text(CATALOG % PARTNER)
    harvest(DcatHarvester(str(catalog)), source="partenaire", settings=settings)
    [spec] = [s for s in list_sources(engine) if s.format == "datainclusion"]
    assert CliRunner().invoke(main, ["sources", "add", spec.name, spec.format, spec.location,
                                     "--token-env", "JETON_PARTENAIRE"]).exit_code == 0
    catalog.write_text(CATALOG % (PARTNER + "/v2"))  # same site: the token stays
    harvest(DcatHarvester(str(catalog)), source="partenaire", settings=settings)
    assert get_source(engine, spec.name).credentials_ref == "JETON_PARTENAIRE"
    catalog.write_text(CATALOG % "https://ailleurs.example.org/inclusion")
    summary = harvest(DcatHarvester(str(catalog)), source="partenaire", settings=settings)
    moved = get_source(engine, spec.name)
    assert moved.location == "https://ailleurs.example.org/inclusion" and moved.credentials_ref is None
    [group] = [g for g in summary.groups if g.code == "token-dropped"]
    assert "JETON_PARTENAIRE n'y sera pas envoyée" in group.message and group.count == 1


def test_without_a_token_of_its_own_a_refusal_says_to_name_one(settings, engine, operator_token):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{PARTNER}/api/v1/structures", status=401)
        summary = harvest(build_harvester(DataInclusionHarvester, PARTNER, options={}, token_env=None),
                          source="partenaire", settings=settings)
        assert "Authorization" not in rsps.calls[0].request.headers
    assert summary.status == "failed" and "HTTP 401" in summary.message
    assert "--token-env NOM" in summary.message and "jeton-de-l-operateur" not in summary.message


def test_a_source_naming_its_own_variable_sends_it_to_its_own_site(settings, engine, operator_token, monkeypatch):
    monkeypatch.setenv("PARTENAIRE_TOKEN", "jeton-du-partenaire")
    with responses.RequestsMock() as rsps:
        serve_empty(rsps, PARTNER)
        harvest(build_harvester(DataInclusionHarvester, PARTNER, options={}, token_env="PARTENAIRE_TOKEN"),
                source="partenaire", settings=settings)
        assert {c.request.headers["Authorization"] for c in rsps.calls} == {"Bearer jeton-du-partenaire"}


@pytest.mark.parametrize("location", ["https://api.data.inclusion.gouv.fr", "https://API.data.inclusion.gouv.fr/"])
def test_the_official_api_still_gets_the_format_s_token(settings, engine, operator_token, location):
    with responses.RequestsMock() as rsps:
        serve_empty(rsps, "https://api.data.inclusion.gouv.fr")
        harvest(build_harvester(DataInclusionHarvester, location, options={}, token_env=None), settings=settings)
        assert {c.request.headers["Authorization"] for c in rsps.calls} == {"Bearer jeton-de-l-operateur"}


@pytest.mark.parametrize(("cls", "official", "elsewhere"), [
    (DataInclusionHarvester, "https://api.data.inclusion.gouv.fr", "https://api.data.inclusion.gouv.fr.example.net"),
    (DoraHarvester, "https://api.dora.inclusion.beta.gouv.fr", "http://api.dora.inclusion.beta.gouv.fr"),
    (AidesTerritoiresHarvester, "https://aides-territoires.beta.gouv.fr", "https://aides.example.fr"),
])
def test_a_format_s_variable_is_read_for_its_official_hosts_only(cls, official, elsewhere, monkeypatch):
    monkeypatch.setenv(cls.credentials_env, "jeton-du-format")
    at_home = build_harvester(cls, official, options={}, token_env=None)
    assert at_home.credentials == "jeton-du-format" and at_home.token_variable == cls.credentials_env
    away = build_harvester(cls, elsewhere, options={}, token_env=None)  # another host, or in clear
    assert away.credentials is None and away.token_variable is None
    assert "--token-env" in away.token_hint() and cls.credentials_env in away.token_hint()


@pytest.mark.parametrize("cls, location", [(DataInclusionHarvester, PARTNER), (MobiliteCsvHarvester, "plateformes.csv"),
                                           (DcatHarvester, "https://catalogue.example.fr/catalogue.ttl")])
def test_a_source_naming_a_variable_that_is_not_set_fails_naming_it(cls, location, settings, engine, monkeypatch):
    """data·inclusion read on without a token, other formats ignored the variable altogether."""
    monkeypatch.delenv("JETON_ABSENT", raising=False)
    with responses.RequestsMock() as rsps:  # nothing read: no request
        summary = harvest(build_harvester(cls, location, options={}, token_env="JETON_ABSENT"),
                          source="partenaire", settings=settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed"
    assert summary.message.startswith("Jeton d'accès manquant : la variable JETON_ABSENT, que la source nomme")


def test_a_file_format_sends_the_token_its_source_names_as_a_bearer(settings, engine, monkeypatch):
    """A CSV or LHEO feed behind a login: --token-env was accepted, then never sent."""
    from tests.conftest import FIXTURES

    url = "https://flux.example.fr/plateformes.csv"
    monkeypatch.setenv("JETON_FLUX", "jeton-du-flux")
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=(FIXTURES / "mobilite" / "csv" / "plateformes.csv").read_bytes())
        summary = harvest(build_harvester(MobiliteCsvHarvester, url, options={"source": "flux"}, token_env="JETON_FLUX"),
                          source="flux", settings=settings)
        assert [c.request.headers.get("Authorization") for c in rsps.calls] == ["Bearer jeton-du-flux"]
    assert summary.counts["added"] > 0, summary.message
    with responses.RequestsMock() as rsps:  # a source that names no variable sends nothing
        rsps.get(url, body=(FIXTURES / "mobilite" / "csv" / "plateformes.csv").read_bytes())
        harvest(build_harvester(MobiliteCsvHarvester, url, options={"source": "flux"}, token_env=None),
                source="flux", settings=settings)
        assert "Authorization" not in rsps.calls[0].request.headers


def test_a_token_is_never_sent_in_clear(settings, engine, monkeypatch):
    monkeypatch.setenv("JETON_FLUX", "jeton-du-flux")
    with responses.RequestsMock() as rsps:  # no request: the token would have gone with it
        summary = harvest(build_harvester(MobiliteCsvHarvester, "http://flux.example.fr/plateformes.csv",
                                          options={"source": "flux"}, token_env="JETON_FLUX"),
                          source="flux", settings=settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed" and "Jeton d'accès non envoyé" in summary.message
    assert "jeton-du-flux" not in summary.message


def test_the_token_itself_given_as_its_variable_is_refused_and_never_shown(settings, engine):
    result = CliRunner().invoke(main, ["harvest", "dora", "https://api.dora.inclusion.beta.gouv.fr",
                                       "--token-env", "dora-Secret.123"])
    assert result.exit_code == 2 and "jamais le jeton" in result.output
    assert "dora-Secret.123" not in result.output


def test_a_token_no_header_can_carry_fails_the_run_naming_its_variable(settings, engine, monkeypatch):
    monkeypatch.setenv("DI_TOKEN", "abc\u2019def")  # a typographic apostrophe, pasted with the token
    with responses.RequestsMock() as rsps:  # no request: it could not be sent
        summary = harvest(build_harvester(DataInclusionHarvester, PARTNER, options={}, token_env="DI_TOKEN"),
                          source="partenaire", settings=settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed"
    assert "variable DI_TOKEN" in summary.message and "U+2019" in summary.message and "4e caractère" in summary.message
    assert "abc" not in summary.message
    assert get_source(engine, "partenaire") is None


def test_a_source_s_token_goes_only_to_the_site_of_its_address(settings, engine, monkeypatch):
    """A partner's data package may name a table on another site: the token the operator gave
    for the partner's site must not go there (and a refusal there says why none was sent)."""
    import json

    from harvesters.frictionless_package import FrictionlessHarvester
    from tests.conftest import FIXTURES

    here = FIXTURES / "frictionless" / "declared"
    base, elsewhere = "https://donnees.partenaire.fr/insertion", "https://autre-site.example/services.csv"
    descriptor = json.loads((here / "datapackage.json").read_text())
    descriptor["resources"][1]["path"] = elsewhere
    monkeypatch.setenv("JETON_PARTENAIRE", "jeton-du-partenaire")

    def run(status: int):
        with responses.RequestsMock() as rsps:
            rsps.get(f"{base}/datapackage.json", json=descriptor)
            rsps.get(f"{base}/structures.csv", body=(here / "structures.csv").read_bytes())
            rsps.get(elsewhere, body=(here / "donnees" / "services.csv").read_bytes(), status=status)
            summary = harvest(build_harvester(FrictionlessHarvester, f"{base}/datapackage.json",
                                              options={"source": "partenaire"}, token_env="JETON_PARTENAIRE"),
                              source="partenaire", settings=settings)
            return summary, {c.request.url: c.request.headers.get("Authorization") for c in rsps.calls}

    summary, sent = run(200)
    assert summary.counts["added"] == 6, summary.counts
    assert sent == {f"{base}/datapackage.json": "Bearer jeton-du-partenaire",
                    f"{base}/structures.csv": "Bearer jeton-du-partenaire", elsewhere: None}
    summary, _ = run(401)
    assert summary.status == "failed" and "qu'au site de son adresse" in summary.message
