"""The `maillage` command: the composition root that wires catalog, harvesters and web."""
