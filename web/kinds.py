"""URL names and French labels of record kinds."""

from __future__ import annotations

SLUGS = {
    "services": "service",
    "structures": "structure",
    "formations": "formation",
    "aides": "aide",
    "solutions-mobilite": "solution-mobilite",
}
SLUG_OF = {kind: slug for slug, kind in SLUGS.items()}
LABELS = {
    "service": "Service",
    "structure": "Structure",
    "formation": "Formation",
    "aide": "Aide financière",
    "solution-mobilite": "Solution de mobilité",
}
