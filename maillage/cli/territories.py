"""`maillage territories`: load the official COG and postal codes, and place communes."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn

from catalog.config import load_settings
from catalog.db import get_engine
from catalog.errors import UnusableInput

CENTROIDS_HELP = (
    "Fichier des centres officiels des communes (JSON de geo.api.gouv.fr, GeoJSON ou CSV "
    "code,latitude,longitude). En ligne : "
    "https://geo.api.gouv.fr/communes?type=commune-actuelle,arrondissement-municipal"
    "&fields=code,nom,centre&format=json (API Découpage administratif, Etalab/IGN)."
)


@click.group("territories")
def command() -> None:
    """Territoires : communes, EPCI, départements, régions et codes postaux (COG officiel)."""


@command.command("load")
@click.option("--from", "from_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Dossier des fichiers JSON (défaut : var/npm puis node_modules).")
@click.option("--centroids", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=CENTROIDS_HELP)
@click.option("--from-records/--no-from-records", default=True, show_default=True,
              help="Placer les communes sans position à la moyenne des coordonnées des fiches.")
@click.option("--geocode", is_flag=True,
              help="Géocoder les communes encore sans position (API Adresse, envoi CSV groupé).")
@click.option("--geocoder-url", default=None,
              help="Point d'accès CSV du géocodeur (défaut : BAN ; Géoplateforme : "
                   "https://data.geopf.fr/geocodage/search/csv).")
def load(from_dir, centroids, from_records, geocode, geocoder_url) -> None:
    """Charger le découpage administratif et les codes postaux.

    Les fichiers viennent des paquets npm officiels, à installer une fois :

        npm install --prefix var/npm @etalab/decoupage-administratif codes-postaux

    Les positions des communes viennent, dans l'ordre : du fichier des centres officiels
    (--centroids ; en ligne, geo.api.gouv.fr/communes?fields=code,centre), des coordonnées
    des fiches elles-mêmes, puis du géocodeur (--geocode).
    """
    from catalog.territories.loader import find_files, load_files

    engine = get_engine(load_settings())
    try:
        files = find_files(from_dir)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                      TextColumn("{task.completed} lignes")) as bar:
            task = bar.add_task("Chargement", total=None)

            def progress(step: str, n: int) -> None:
                bar.update(task, description=f"Chargement : {step}", advance=n)

            counts = load_files(engine, files, progress)
        click.echo("Chargé : " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
        _place_communes(engine, centroids, from_records, geocode, geocoder_url)
    except UnusableInput as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)


@command.command("positions")
@click.option("--centroids", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=CENTROIDS_HELP)
@click.option("--from-records/--no-from-records", default=True, show_default=True,
              help="Placer les communes sans position à la moyenne des coordonnées des fiches.")
@click.option("--geocode", is_flag=True, help="Géocoder les communes encore sans position.")
@click.option("--geocoder-url", default=None, help="Point d'accès CSV du géocodeur (défaut : BAN).")
def positions(centroids, from_records, geocode, geocoder_url) -> None:
    """Placer les communes sans position, sans recharger le découpage (après un moissonnage)."""
    try:
        _place_communes(get_engine(load_settings()), centroids, from_records, geocode, geocoder_url)
    except UnusableInput as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)


def _place_communes(engine, centroids, from_records, geocode, geocoder_url) -> None:
    from catalog.territories.geocoding import BAN_URL, BanCsvGeocoder
    from catalog.territories.loader import (
        geocode_missing,
        positions_from_records,
        read_centroids,
        set_positions,
    )

    if centroids:
        n = set_positions(engine, read_centroids(centroids), "fichier")
        click.echo(f"Positions du fichier officiel : {n} communes.")
    if from_records:
        n = set_positions(engine, positions_from_records(engine), "enregistrements", overwrite=False)
        click.echo(f"Positions tirées des fiches : {n} communes.")
    if geocode:
        n = geocode_missing(engine, BanCsvGeocoder(geocoder_url or BAN_URL))
        click.echo(f"Positions géocodées : {n} communes.")


@command.command("show")
@click.argument("code")
def show(code: str) -> None:
    """Afficher une commune (code INSEE) ou les communes d'un code postal."""
    from catalog.territories import get_territories

    t = get_territories(get_engine(load_settings()))
    communes = [t.commune(code)] if t.commune(code) else t.communes_for_postal_code(code)
    if not communes:
        click.echo(f"Aucune commune pour {code}.", err=True)
        sys.exit(1)
    for c in communes:
        pos = f"{c.latitude:.4f}, {c.longitude:.4f}" if c.position else "position inconnue"
        click.echo(f"{c.code} {c.nom} ({c.type}) — EPCI {c.epci or '-'}, département "
                   f"{c.departement}, région {c.region}, {pos}, codes postaux "
                   f"{', '.join(c.codes_postaux) or '-'}")
