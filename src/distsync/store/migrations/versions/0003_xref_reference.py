"""Partner cross-references and their history; the master-data reference cache.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xrefs",
        sa.Column("partner", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("partner_value", sa.String(length=128), nullable=False),
        sa.Column("our_value", sa.String(length=128), nullable=False),
        sa.Column("partner_uom", sa.String(length=16), nullable=True),
        sa.Column("factor", sa.String(length=40), nullable=True),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("partner", "kind", "partner_value"),
    )
    op.create_table(
        "xref_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("partner_value", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("xref_history", schema=None) as batch_op:
        batch_op.create_index("ix_xref_history_partner_id", ["partner", "id"], unique=False)
        batch_op.create_index(
            "ix_xref_history_key_id", ["partner", "kind", "partner_value", "id"], unique=False
        )

    op.create_table(
        "reference_records",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("source_system", sa.String(length=128), nullable=False),
        sa.Column("fetched_at", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    with op.batch_alter_table("reference_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reference_records_source", ["kind", "source_system"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reference_records", schema=None) as batch_op:
        batch_op.drop_index("ix_reference_records_source")
    op.drop_table("reference_records")
    with op.batch_alter_table("xref_history", schema=None) as batch_op:
        batch_op.drop_index("ix_xref_history_key_id")
        batch_op.drop_index("ix_xref_history_partner_id")
    op.drop_table("xref_history")
    op.drop_table("xrefs")
