"""Component ids, in one place (never string literals scattered in callbacks)."""

from __future__ import annotations

from typing import Final

# shell
URL: Final = "shell-url"
NAV: Final = "shell-nav"
LOGOUT: Final = "shell-logout"
ALERT: Final = "shell-alert"  # notices of failed callbacks (app.failures)

# overview
OV_KPIS: Final = "overview-kpis"
OV_TREND: Final = "overview-trend"
OV_TIERS: Final = "overview-tiers"

# risk map
MAP_GRAPH: Final = "riskmap-graph"
MAP_STATE: Final = "riskmap-state"
MAP_COLOUR: Final = "riskmap-colour"
MAP_LAYERS: Final = "riskmap-layers"
MAP_BACK: Final = "riskmap-back"
MAP_REGION: Final = "riskmap-region"
MAP_TITLE: Final = "riskmap-title"
MAP_NOTE: Final = "riskmap-note"
MAP_TABLE: Final = "riskmap-table"

# visit list
VL_TIERS: Final = "visits-tiers"
VL_TYPES: Final = "visits-types"
VL_SOURCES: Final = "visits-sources"
VL_DAYS: Final = "visits-days"
VL_OVERRIDDEN: Final = "visits-overridden"
VL_LIMIT: Final = "visits-limit"
VL_UNSERVED: Final = "visits-unserved"
VL_REPEAT: Final = "visits-repeat-unhelped"
VL_FILTERS: Final = "visits-filters"
VL_FILTER_SUMMARY: Final = "visits-filter-summary"
VL_TABLE: Final = "visits-table"
VL_TABLE_BOX: Final = "visits-table-box"
VL_COUNT: Final = "visits-count"
VL_ERROR: Final = "visits-error"
VL_XLSX: Final = "visits-xlsx"
VL_CSV: Final = "visits-csv"
VL_DOWNLOAD: Final = "visits-download"
VL_ROUTE_BTN: Final = "visits-route-btn"
VL_ROUTE_MAP: Final = "visits-route-map"
VL_ROUTE_TABLE: Final = "visits-route-table"

# case detail
CASE_ID: Final = "case-id"
CASE_ACTIVITIES: Final = "case-activities"
CASE_KIND: Final = "case-kind"
CASE_DATE: Final = "case-date"
CASE_OUTCOME: Final = "case-outcome"
CASE_NOTE: Final = "case-note"
CASE_SAVE: Final = "case-save"
CASE_MESSAGE: Final = "case-message"
CASE_OV_TIER: Final = "case-override-tier"
CASE_OV_REASON: Final = "case-override-reason"
CASE_OV_NOTE: Final = "case-override-note"
CASE_OV_SAVE: Final = "case-override-save"
CASE_OV_MESSAGE: Final = "case-override-message"
CASE_TIER_BADGE: Final = "case-tier-badge"

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

# simulation (지자체별 시뮬레이션)
SIM_SCOPE: Final = "sim-scope"
SIM_MODE_PREFIX: Final = "sim-mode-"  # + signal code (off | boost | include)
SIM_WEIGHT_PREFIX: Final = "sim-weight-"  # + signal code
SIM_CAP: Final = "sim-financial-cap"
SIM_AGE65: Final = "sim-age65"
SIM_TEAM: Final = "sim-team-capacity"
SIM_CODES: Final = "sim-capacity-codes"
SIM_RUN: Final = "sim-run"
SIM_RESULT: Final = "sim-result"
SIM_ERROR: Final = "sim-error"
SIM_NAME: Final = "sim-name"
SIM_SAVE: Final = "sim-save"
SIM_SAVED: Final = "sim-saved"
SIM_SAVE_NOTE: Final = "sim-save-note"
SIM_COMPARE: Final = "sim-compare"
SIM_COMPARISON: Final = "sim-comparison"
