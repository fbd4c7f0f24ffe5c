"""Maillage's domain core: records, their store and revisions, territories, search, exports.

Nothing here imports `harvesters/` or `web/`: they depend on the catalog, never the reverse.
"""
