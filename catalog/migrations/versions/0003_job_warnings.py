"""harvest jobs count the items written with a warning

Revision ID: 0003
Revises: 0002_territories
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002_territories"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_job") as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("harvest_job") as batch_op:
        batch_op.drop_column("warnings")
