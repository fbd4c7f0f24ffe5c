"""`maillage search`: the catalog's search from the terminal; flags mirror the API's parameters."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from catalog.config import load_settings
from catalog.db import get_engine
from catalog.errors import UnusableInput
from catalog.models import RECORD_ACTIVE
from catalog.privacy import public_view
from catalog.queries import get_records
from catalog.search import FACETS, KINDS, SORTS, SearchHit, SearchQuery, get_backend


@click.command("search")
@click.argument("text", required=False, default="")
@click.option("--code-commune", help="Code INSEE de la commune de la personne.")
@click.option("--distance", type=float, help="Rayon en km pour l'accueil sur place (défaut 50).")
@click.option("--lat", type=float, help="Latitude du point de recherche (avec --lon).")
@click.option("--lon", type=float, help="Longitude du point de recherche (avec --lat).")
@click.option("--code-epci", help="SIREN de l'EPCI où se trouve l'offre.")
@click.option("--code-departement", help="Code du département où se trouve l'offre.")
@click.option("--code-region", help="Code de la région où se trouve l'offre.")
@click.option("--thematique", "thematiques", multiple=True, help="Catégorie ou sous-thématique.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Type de fiche.")
@click.option("--public", "publics", multiple=True)
@click.option("--frais", multiple=True)
@click.option("--mode-accueil", "modes_accueil", multiple=True)
@click.option("--type", "types", multiple=True, help="Type de service.")
@click.option("--source", "sources", multiple=True)
@click.option("--score-qualite-minimum", type=float)
@click.option("--exclure-doublons", is_flag=True)
@click.option("--sort", type=click.Choice(SORTS), help="pertinence ou distance.")
@click.option("--facet", "facets", multiple=True, type=click.Choice(FACETS))
@click.option("--size", type=int, default=20, show_default=True)
@click.option("--after", help="Curseur de la page suivante (champ « next »).")
@click.option("--backend", type=click.Choice(["sqlite", "elasticsearch"]))
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON.")
def command(text, backend, as_json, **options) -> None:
    """Chercher des services, structures, formations, aides et solutions de mobilité.

    Exemple : maillage search "permis de conduire" --code-commune 93066 --thematique mobilite
    """
    for name in ("thematiques", "kinds", "publics", "frais", "modes_accueil", "types", "sources",
                 "facets"):
        options[name] = list(options[name])
    query = SearchQuery(text=text, **options)
    settings = load_settings()
    try:
        result = get_backend(settings, backend).search(query)
    except UnusableInput as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)
    found = _published_records(settings, result.hits)
    if as_json:
        payload = {"total": result.total, "next": result.next, "facets": result.facets,
                   "hits": [asdict(hit) | {"data": data} for hit, data in found]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.total} résultat{'s' if result.total > 1 else ''}")
    for i, (hit, data) in enumerate(found, 1):
        where = " ".join(filter(None, [str(data.get("code_postal") or ""), str(data.get("commune") or "")]))
        extra = f" — {hit.distance:.1f} km" if hit.distance is not None else ""
        remote = " — à distance" if "a-distance" in (data.get("modes_accueil") or []) else ""
        click.echo(f"{i:>3}. {hit.nom} [{hit.kind}] {where}{extra}{remote}")
        click.echo(f"     {hit.id}")
    for name, counts in result.facets.items():
        click.echo(f"\n{name} : " + ", ".join(f"{v} ({n})" for v, n in counts.items()))
    if result.next:
        click.echo(f"\nPage suivante : --after {result.next}")


def _published_records(settings, hits: list[SearchHit]) -> list[tuple[SearchHit, dict]]:
    """Each hit with its record as the API publishes it, read from the catalog (the index holds
    none): what this command prints is passed on as freely as the API's answers. A hit whose
    record the catalog no longer publishes (the index lags a write by a moment) is left out."""
    stored = get_records(get_engine(settings), [(hit.kind, hit.id) for hit in hits])
    return [(hit, public_view(record.data, hit.kind)) for hit in hits
            if (record := stored.get((hit.kind, hit.id))) is not None and record.status == RECORD_ACTIVE]
