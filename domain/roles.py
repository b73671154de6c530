"""The roles of Bokji Atlas and the role sets every access rule is written in.

=========  ====================  =============================================
role       jurisdiction          household-level data
=========  ====================  =============================================
outreach   읍면동 code (8 digits)  own 읍면동 only (names masked until opened)
planner    시군구 code (5 digits)  none: aggregates, small cells suppressed
ministry   none (national)       none: aggregates, small cells suppressed
admin      none (national)       everything, every view logged
provider   one facility          the referrals addressed to it, masked
public     none                  none: facilities and suppressed aggregates
=========  ====================  =============================================

The login roles are the codes of :data:`geodata.vocabulary.ROLES`; ``public`` is the role of
residents without a login.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from geodata.vocabulary import ROLES, codes

__all__ = [
    "HOUSEHOLD_ROLES",
    "LOGIN_ROLES",
    "NATIONAL_ROLES",
    "PLANNING_ROLES",
    "Role",
]


class Role(StrEnum):
    """A user's role; compares equal to its code string (``Role.ADMIN == "admin"``)."""

    OUTREACH = "outreach"
    PLANNER = "planner"
    MINISTRY = "ministry"
    ADMIN = "admin"
    PROVIDER = "provider"
    PUBLIC = "public"


#: Roles that may see household-level records (within their jurisdiction).
HOUSEHOLD_ROLES: Final[frozenset[Role]] = frozenset({Role.OUTREACH, Role.ADMIN})
#: Roles whose jurisdiction is the whole country.
NATIONAL_ROLES: Final[frozenset[Role]] = frozenset({Role.MINISTRY, Role.ADMIN})
#: Roles that may use the planning pages (supply and demand, site suitability).
PLANNING_ROLES: Final[frozenset[Role]] = frozenset({Role.PLANNER, Role.MINISTRY, Role.ADMIN})
#: Roles a user account may have, in vocabulary order (everyone but the public).
LOGIN_ROLES: Final[tuple[Role, ...]] = tuple(Role(code) for code in codes(ROLES))
