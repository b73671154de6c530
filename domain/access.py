"""Who may see what: the acting :class:`Viewer` and the jurisdiction rules.

Pure rules, no Store: services call them and audit the answer (:mod:`services.audit`). Pages
may ask them too (to hide a control), but the service layer is where access is enforced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from domain.errors import AccessDenied
from domain.roles import HOUSEHOLD_ROLES, NATIONAL_ROLES, Role
from geodata.regions import within

__all__ = [
    "PUBLIC_VIEWER",
    "Viewer",
    "household_scope",
    "in_jurisdiction",
    "may_see_household",
    "may_see_points",
    "sees_unsuppressed",
]


@dataclass(frozen=True, slots=True)
class Viewer:
    """The acting user: who asks, in which role, for which jurisdiction.

    ``jurisdiction_code`` is a 읍면동 code for outreach workers, a 시군구 code for planners and
    ``None`` for national roles and the public; ``facility_id`` names a provider's facility.
    """

    user_id: int | None
    username: str
    role: str
    jurisdiction_code: str | None = None
    display_name: str = ""
    facility_id: int | None = None  # providers: the facility whose referrals they answer

    @property
    def is_authenticated(self) -> bool:
        """True for a logged-in user (any role but ``public``)."""
        return self.role != Role.PUBLIC

    @property
    def sees_households(self) -> bool:
        """True when the role may see household-level data at all."""
        return self.role in HOUSEHOLD_ROLES


PUBLIC_VIEWER: Final = Viewer(user_id=None, username="public", role=Role.PUBLIC)


def in_jurisdiction(viewer: Viewer, region_code: str | None) -> bool:
    """Whether ``region_code`` (시도/시군구/읍면동) lies within the viewer's jurisdiction.

    National roles cover every region; ``public`` covers none for household purposes but every
    region for aggregates (callers decide which question they ask).
    """
    if viewer.role in NATIONAL_ROLES or viewer.role == Role.PUBLIC:
        return True
    return within(region_code, viewer.jurisdiction_code)


def may_see_household(viewer: Viewer, emd_code: str) -> bool:
    """Whether the viewer may see a household of 읍면동 ``emd_code`` (no side effects)."""
    if viewer.role == Role.ADMIN:
        return True
    return viewer.role == Role.OUTREACH and bool(viewer.jurisdiction_code) and (
        str(emd_code) == viewer.jurisdiction_code
    )


def may_see_points(viewer: Viewer, sigungu_code: str | None) -> bool:
    """Whether the household-points layer of 시군구 ``sigungu_code`` is open to the viewer:
    an outreach worker whose 읍면동 lies in it (the layer then shows that 읍면동 only)."""
    return viewer.role == Role.OUTREACH and within(viewer.jurisdiction_code, sigungu_code)


def sees_unsuppressed(viewer: Viewer, region_code: str) -> bool:
    """Whether aggregate cells of ``region_code`` are shown to the viewer unsuppressed:
    administrators everywhere, outreach workers for their own 읍면동 (the household rule)."""
    return may_see_household(viewer, region_code)


def household_scope(viewer: Viewer) -> dict[str, str]:
    """The ``where`` filter on ``household``/``risk_score`` for a viewer's own households.

    Raises
    ------
    AccessDenied
        For roles that see no household data (nothing is audited here; callers audit).
    """
    if viewer.role == Role.ADMIN:
        return {}
    if viewer.role == Role.OUTREACH and viewer.jurisdiction_code:
        return {"jurisdiction_code": viewer.jurisdiction_code}
    raise AccessDenied(f"{viewer.role} users see aggregates only, not household records")
