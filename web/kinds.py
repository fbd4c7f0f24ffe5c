"""URL names and French labels of record kinds."""

from __future__ import annotations

SLUGS = {
    "services": "service",
    "structures": "structure",
    "formations": "formation",
    "aides": "aide",
    "solutions-mobilite": "solution-mobilite",
}
# The `any` URL converter's arguments (quoted: "solutions-mobilite" holds a dash).
KIND_SLUG_ARGS = ", ".join(f'"{slug}"' for slug in SLUGS)
SLUG_OF = {kind: slug for slug, kind in SLUGS.items()}
LABELS = {
    "service": "Service",
    "structure": "Structure",
    "formation": "Formation",
    "aide": "Aide financière",
    "solution-mobilite": "Solution de mobilité",
}
