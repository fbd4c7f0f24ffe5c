"""Every table of the catalog, imported in one place so migrations and tests see them all.

A module that defines SQLModel tables is listed here; nothing else needs to know.
"""

from sqlmodel import SQLModel

import catalog.models
import catalog.territories.models  # noqa: F401

metadata = SQLModel.metadata
