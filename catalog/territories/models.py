"""Territory tables: the official COG (communes and their kin, EPCI, départements, régions) and
postal codes. Loaded from `@etalab/decoupage-administratif` and `codes-postaux` (see README.md).
"""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class TerritoryCommune(SQLModel, table=True):
    """A commune, commune déléguée/associée or municipal arrondissement.

    A commune nouvelle and one of its communes déléguées can share a code (Annecy, 74010), hence
    the (code, type) key. `parent` is the commune a déléguée/associée or arrondissement belongs to.
    """

    __tablename__ = "territory_commune"
    __table_args__ = (Index("ix_territory_commune_nom", "nom_folded"),)

    code: str = Field(primary_key=True, max_length=5)
    type: str = Field(primary_key=True, max_length=30)
    nom: str = Field(max_length=200)
    nom_folded: str = Field(max_length=200)
    parent: str | None = Field(default=None, max_length=5)
    epci: str | None = Field(default=None, max_length=9)
    departement: str = Field(max_length=3)
    region: str = Field(max_length=3)  # overseas collectivities are their own: 975, 986…
    population: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    # Where the position came from: "fichier" (official centroids), "enregistrements" (mean of the
    # records' coordinates) or "geocodeur" (BAN/Géoplateforme).
    position_source: str | None = Field(default=None, max_length=20)


class TerritoryEpci(SQLModel, table=True):
    __tablename__ = "territory_epci"

    code: str = Field(primary_key=True, max_length=9)
    nom: str = Field(max_length=200)
    type: str = Field(default="", max_length=10)


class TerritoryDepartement(SQLModel, table=True):
    __tablename__ = "territory_departement"

    code: str = Field(primary_key=True, max_length=3)
    nom: str = Field(max_length=200)
    region: str = Field(max_length=3)  # overseas collectivities are their own: 975, 986…


class TerritoryRegion(SQLModel, table=True):
    __tablename__ = "territory_region"

    code: str = Field(primary_key=True, max_length=3)
    nom: str = Field(max_length=200)


class TerritoryPostalCode(SQLModel, table=True):
    __tablename__ = "territory_postal_code"
    __table_args__ = (Index("ix_territory_postal_code_commune", "code_commune"),)

    code_postal: str = Field(primary_key=True, max_length=5)
    code_commune: str = Field(primary_key=True, max_length=5)
    nom_commune: str = Field(max_length=200)
    libelle_acheminement: str = Field(default="", max_length=200)
