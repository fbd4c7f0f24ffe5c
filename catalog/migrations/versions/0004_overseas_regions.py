"""région codes of three digits: the official files make each overseas collectivity (975
Saint-Pierre-et-Miquelon, 986 Wallis-et-Futuna…) its own région, and PostgreSQL refused the load

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (("territory_commune", "region"), ("territory_departement", "region"), ("territory_region", "code"))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, type_=sa.String(length=3), existing_type=sa.String(length=2),
                                  existing_nullable=False)


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, type_=sa.String(length=2), existing_type=sa.String(length=3),
                                  existing_nullable=False)
