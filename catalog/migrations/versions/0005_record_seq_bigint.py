"""record.seq on 64 bits: PostgreSQL's sequence never gives back the numbers of a rolled-back
run (dry runs, runs held for review), and a 32-bit column ran out, failing every harvest after

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("record") as batch_op:
        batch_op.alter_column("seq", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("record") as batch_op:
        batch_op.alter_column("seq", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
