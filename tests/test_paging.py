"""What a paged API announces about itself (`pages`, `total`, `count`) and a source's paging
options are untrusted: a wrong one fails the run with its reason, the catalog unchanged, never
with Python's ValueError; announced or endless paging stops at `MAX_PAGES`."""

from __future__ import annotations

import json
import re

import pytest
import responses

from catalog.errors import UnusableInput
from harvesters.aides_territoires import AidesTerritoiresHarvester
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.dcat import DcatHarvester
from harvesters.dora import DoraHarvester
from harvesters.engine import harvest
from harvesters.paging import MAX_PAGES, announced, whole_option

DI = "https://api.data.inclusion.gouv.fr"
DORA = "https://api.dora.inclusion.beta.gouv.fr"
AT = "https://aides-territoires.beta.gouv.fr"
NOT_WHOLE = "réponse inattendue, « {} » vaut .* au lieu d'un nombre entier positif"


@pytest.mark.parametrize(("value", "expected"), [(12, 12), ("12", 12), (" 7 ", 7), (3.0, 3), (0, 0), (None, None)])
def test_announced_counts_read_as_whole_numbers(value, expected):
    assert announced({"pages": value}, "pages", "page 1") == expected


@pytest.mark.parametrize("value", ["deux", "²", [2], {"n": 2}, -1, 2.5, True, "1" * 30])
def test_announced_counts_that_are_not_whole_numbers_are_refused(value):
    with pytest.raises(UnusableInput, match=NOT_WHOLE.format("pages")):
        announced({"pages": value}, "pages", "page 1")


@pytest.mark.parametrize("raw", ["abc", "0", -3, None, "1e3", [10]])
def test_counting_options_are_refused_with_their_name(raw):
    with pytest.raises(UnusableInput, match=r"Option page_size : un nombre entier entre 1 et 100000 est attendu"):
        whole_option({"page_size": raw}, "page_size", 500, 100_000)


def run(harvester, settings):
    return harvest(harvester, source="essai", settings=settings)


@pytest.mark.parametrize(("meta", "reason"), [
    ({"pages": "deux", "total": 3}, NOT_WHOLE.format("pages")),
    ({"pages": 1, "total": [3]}, NOT_WHOLE.format("total")),
    ({"pages": MAX_PAGES + 1, "total": 3}, "plus de 100000 pages à lire, pagination sans fin"),
], ids=["pages", "total", "sans-fin"])
def test_datainclusion_pages_announcing_nonsense_fail_the_run(settings, engine, meta, reason):
    with responses.RequestsMock() as rsps:
        rsps.get(re.compile(f"{DI}/api/v1/structures.*"), json={"items": [], **meta})
        summary = run(DataInclusionHarvester(DI, options={"kinds": ["structure"]}, credentials="t"), settings)
        assert len(rsps.calls) == 1
    assert summary.status == "failed" and re.search(reason, summary.message), summary.message


def test_dora_count_that_is_not_a_number_fails_the_run(settings, engine):
    with responses.RequestsMock() as rsps:
        rsps.get(re.compile(f"{DORA}/api/v2/structures/.*"), json={"count": "beaucoup", "next": None, "results": []})
        summary = run(DoraHarvester(DORA, options={"kinds": ["structure"]}, credentials="t"), settings)
    assert summary.status == "failed" and re.search(NOT_WHOLE.format("count"), summary.message), summary.message


def test_dora_next_links_that_never_end_stop_at_max_pages(settings, engine, monkeypatch):
    monkeypatch.setattr("harvesters.paging.MAX_PAGES", 5)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for n in range(1, 7):  # every page a new address: the seen-page check alone would never stop
            rsps.get(f"{DORA}/api/v2/structures/?p={n}" if n > 1 else f"{DORA}/api/v2/structures/",
                     json={"count": 0, "next": f"{DORA}/api/v2/structures/?p={n + 1}", "results": []})
        summary = run(DoraHarvester(DORA, options={"kinds": ["structure"]}, credentials="t"), settings)
        assert len(rsps.calls) == 5
    assert summary.status == "failed" and "plus de 5 pages à lire" in summary.message


@pytest.mark.parametrize(("harvester", "option"), [
    (lambda options: DataInclusionHarvester(DI, options=options, credentials="t"), "page_size"),
    (lambda options: DoraHarvester(DORA, options=options, credentials="t"), "page_size"),
    (lambda options: DcatHarvester("https://catalogue.example.fr/catalog.ttl", options=options), "max_pages"),
], ids=["datainclusion", "dora", "dcat"])
def test_a_counting_option_that_is_not_a_number_fails_before_any_request(settings, engine, harvester, option):
    with responses.RequestsMock() as rsps:  # any request would fail the test
        summary = run(harvester({option: "cent"}), settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed" and f"Option {option} : un nombre entier" in summary.message


def test_aides_territoires_next_links_that_never_end_stop_at_max_pages(settings, engine, monkeypatch):
    monkeypatch.setattr("harvesters.paging.MAX_PAGES", 3)

    def endless(request):  # each page leads to one more, at a new address
        page = int(re.search(r"page=(\d+)", request.url).group(1)) if "page=" in request.url else 1
        return 200, {}, json.dumps({"count": 1, "next": f"{AT}/api/aids/?page={page + 1}", "results": []})

    with responses.RequestsMock() as rsps:
        rsps.post(f"{AT}/api/connexion/", json={"token": "jwt"})
        rsps.add_callback("GET", re.compile(f"{AT}/api/aids/.*"), callback=endless)
        summary = run(AidesTerritoiresHarvester(AT, credentials="jeton"), settings)
        assert len(rsps.calls) == 1 + 3
    assert summary.status == "failed" and "plus de 3 pages à lire" in summary.message, summary.message
