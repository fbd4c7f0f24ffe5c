"""Harvesters: one module per source format, all run by the shared engine (`engine.py`).

A format is registered in `FORMATS` (name → "module:Class"); the CLI and the source scheduler
look formats up here, so adding a source format is adding one module and one line.
"""

from __future__ import annotations

import importlib

FORMATS: dict[str, str] = {
    "datainclusion": "harvesters.datainclusion:DataInclusionHarvester",
    "aides-jeunes": "harvesters.aides_jeunes:AidesJeunesHarvester",
    "aides-territoires": "harvesters.aides_territoires:AidesTerritoiresHarvester",
    "dispositif-aide": "harvesters.dispositif_aide:DispositifAideHarvester",
    "lheo": "harvesters.lheo:LheoHarvester",
    "frictionless": "harvesters.frictionless_package:FrictionlessHarvester",
    "dcat": "harvesters.dcat:DcatHarvester",
    "covoiturage": "harvesters.covoiturage:CovoiturageHarvester",
    "mobiville": "harvesters.mobiville:MobivilleHarvester",
    "mobilite-csv": "harvesters.mobilite_csv:MobiliteCsvHarvester",
    "dora": "harvesters.dora:DoraHarvester",
    "aides-velo": "harvesters.aides_velo:AidesVeloHarvester",
}


def harvester_class(format_name: str):
    try:
        target = FORMATS[format_name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise KeyError(f"Format de source inconnu « {format_name} » (formats connus : {known}).") from None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)
