"""The audit log: one ``audit_log`` row for every view, export and refusal, and the household
access checks that write the refusal before raising :class:`~domain.errors.AccessDenied`.

Every service that returns household-level data takes the acting
:class:`~domain.access.Viewer` and calls :func:`require_household_access` (or
:func:`require_household_role`).
"""

from __future__ import annotations

import datetime as dt
import logging

from domain.access import Viewer, may_see_household
from domain.errors import AccessDenied
from geodata.store.base import Store

__all__ = ["audit", "require_household_access", "require_household_role"]

log = logging.getLogger(__name__)


def audit(
    store: Store,
    viewer: Viewer,
    *,
    action: str,
    allowed: bool = True,
    object_type: str | None = None,
    object_id: str | None = None,
    purpose: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one row to ``audit_log`` (its own transaction, so refusals are kept)."""
    row = {
        "at": dt.datetime.now(dt.UTC),
        "user_id": viewer.user_id,
        "username": viewer.username,
        "role": str(viewer.role),
        "action": action[:32],
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id)[:64],
        "purpose": (purpose or None) and purpose[:200],
        "allowed": bool(allowed),
        "detail": detail,
    }
    store.audit.append([row])
    if not allowed:
        log.warning("access refused: %s %s %s/%s (%s)", viewer.username, action, object_type,
                    object_id, detail)


def refuse_household_role(store: Store, viewer: Viewer, *, action: str, purpose: str = "",
                          object_id: object = None) -> None:
    """Audit the refusal of a household-level request by a role that sees aggregates only.

    For pages that show an access notice instead of calling a service: the refusal is still
    recorded under the caller (``allowed=0``).
    """
    audit(store, viewer, action=action, allowed=False, purpose=purpose,
          object_type="household" if object_id is not None else None,
          object_id=None if object_id is None else str(object_id)[:64],
          detail=f"role '{viewer.role}' sees aggregates only")


def require_household_role(store: Store, viewer: Viewer, *, action: str, purpose: str = "") -> None:
    """Raise :class:`AccessDenied` (and audit it) unless the role may see households at all."""
    if viewer.sees_households:
        return
    audit(store, viewer, action=action, allowed=False, purpose=purpose,
          detail=f"role '{viewer.role}' sees aggregates only")
    raise AccessDenied(f"{viewer.role} users see aggregates only, not household records")


def require_household_access(
    store: Store,
    viewer: Viewer,
    household_id: int,
    *,
    action: str,
    purpose: str = "",
) -> dict[str, object]:
    """Return the household row if the viewer may see it; otherwise audit and raise.

    Parameters
    ----------
    store
        The store holding ``household``.
    viewer
        The acting user.
    household_id
        The household asked for.
    action
        The audit action name (``view_case``, ``add_activity``, ...), logged on refusal.
    purpose
        Why the record is opened (logged).

    Returns
    -------
    dict
        The household row (without geometry as WKB; ``geometry`` is a shapely point).

    Raises
    ------
    AccessDenied
        Unknown household, aggregate-only role or a household outside the jurisdiction.
    """
    require_household_role(store, viewer, action=action, purpose=purpose)
    try:
        hid = int(household_id)
    except (TypeError, ValueError):
        audit(store, viewer, action=action, object_type="household",
              object_id=str(household_id)[:64], purpose=purpose, allowed=False,
              detail="malformed household id")
        raise AccessDenied(f"household {str(household_id)[:20]!r} is not in your jurisdiction") from None
    frame = store.read_frame("household", where={"household_id": hid})
    if frame.empty or not may_see_household(viewer, str(frame.iloc[0]["emd_code"])):
        reason = "unknown household" if frame.empty else "outside jurisdiction"
        audit(store, viewer, action=action, object_type="household", object_id=str(household_id),
              purpose=purpose, allowed=False, detail=reason)
        # Same message for unknown and foreign households: do not reveal which ids exist.
        raise AccessDenied(f"household {household_id} is not in your jurisdiction")
    return frame.iloc[0].to_dict()
