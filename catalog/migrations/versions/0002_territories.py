"""territories: COG communes, EPCI, départements, régions, postal codes

Revision ID: 0002_territories
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_territories"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "territory_commune",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("nom", sa.String(length=200), nullable=False),
        sa.Column("nom_folded", sa.String(length=200), nullable=False),
        sa.Column("parent", sa.String(length=5), nullable=True),
        sa.Column("epci", sa.String(length=9), nullable=True),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("position_source", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("code", "type"),
    )
    op.create_index("ix_territory_commune_nom", "territory_commune", ["nom_folded"])
    op.create_table(
        "territory_epci",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("nom", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "territory_departement",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("nom", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "territory_region",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("nom", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "territory_postal_code",
        sa.Column("code_postal", sa.String(length=5), nullable=False),
        sa.Column("code_commune", sa.String(length=5), nullable=False),
        sa.Column("nom_commune", sa.String(length=200), nullable=False),
        sa.Column("libelle_acheminement", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code_postal", "code_commune"),
    )
    op.create_index("ix_territory_postal_code_commune", "territory_postal_code", ["code_commune"])


def downgrade() -> None:
    op.drop_index("ix_territory_postal_code_commune", table_name="territory_postal_code")
    op.drop_table("territory_postal_code")
    op.drop_table("territory_region")
    op.drop_table("territory_departement")
    op.drop_table("territory_epci")
    op.drop_index("ix_territory_commune_nom", table_name="territory_commune")
    op.drop_table("territory_commune")
