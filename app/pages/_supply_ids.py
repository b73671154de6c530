"""Component ids of the supply/demand, site-suitability and nearby-facility pages.

Kept beside the pages (``app/ids.py`` belongs to the shell); the leading underscore keeps Dash
from registering this module as a page.
"""

from __future__ import annotations

from typing import Final

# supply and demand
SD_GROUP: Final = "supply-group"
SD_LEVEL: Final = "supply-level"
SD_PARENT: Final = "supply-parent"
SD_CATCHMENT: Final = "supply-catchment"
SD_MAP: Final = "supply-map"
SD_NOTE: Final = "supply-note"
SD_TABLE: Final = "supply-table"
SD_MISMATCH: Final = "supply-mismatch"
SD_UNMATCHED: Final = "supply-unmatched"
SD_EXPORT: Final = "supply-export"
SD_DOWNLOAD: Final = "supply-download"

# site suitability
SITE_REGION: Final = "site-region"
SITE_GROUP: Final = "site-group"
SITE_K: Final = "site-k"
SITE_RADIUS: Final = "site-radius"
SITE_METHOD: Final = "site-method"
SITE_RUN: Final = "site-run"
SITE_CANCEL: Final = "site-cancel"
SITE_PROGRESS: Final = "site-progress"
SITE_MAP: Final = "site-map"
SITE_SUMMARY: Final = "site-summary"
SITE_TABLE: Final = "site-table"
SITE_ERROR: Final = "site-error"

# nearby facilities
NB_MAP: Final = "nearby-map"
NB_REGION: Final = "nearby-region"
NB_COORDS: Final = "nearby-coords"
NB_COORDS_GO: Final = "nearby-coords-go"
NB_GROUPS: Final = "nearby-groups"
NB_TYPES: Final = "nearby-types"
NB_FREE: Final = "nearby-free"
NB_K: Final = "nearby-k"
NB_PLACE: Final = "nearby-place"
NB_ORIGIN: Final = "nearby-origin"
NB_TABLE: Final = "nearby-table"
NB_ERROR: Final = "nearby-error"
