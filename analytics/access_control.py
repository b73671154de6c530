"""Who may see what: roles, jurisdictions, password hashing, users and the audit log.

Access is enforced here, in the service layer, not only in the UI. Every service that returns
household-level data takes the acting :class:`Viewer` and calls :func:`require_household_access`
(or :func:`require_household_role`), which raises :class:`AccessDenied` for households outside
the viewer's role or jurisdiction and writes the refusal to ``audit_log``.

Roles (codes from :data:`geodata.vocabulary.ROLES`, plus ``public`` for residents without a
login):

=========  ====================  =============================================
role       jurisdiction          household-level data
=========  ====================  =============================================
outreach   읍면동 code (8 digits)  own 읍면동 only (names masked until opened)
planner    시군구 code (5 digits)  none: aggregates, small cells suppressed
ministry   none (national)       none: aggregates, small cells suppressed
admin      none (national)       everything, every view logged
public     none                  none: facilities and suppressed aggregates
=========  ====================  =============================================
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import insert, select, update

from geodata.schema import table
from geodata.store.base import Store
from geodata.vocabulary import ROLES, codes

log = logging.getLogger(__name__)

PUBLIC_ROLE: Final = "public"
HOUSEHOLD_ROLES: Final[frozenset[str]] = frozenset({"outreach", "admin"})
AGGREGATE_ROLES: Final[frozenset[str]] = frozenset({"planner", "ministry", PUBLIC_ROLE})
NATIONAL_ROLES: Final[frozenset[str]] = frozenset({"ministry", "admin"})

# scrypt parameters (RFC 7914): N=2**14, r=8, p=1 uses 16 MiB and ~50 ms per hash.
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_SCRYPT_DKLEN: Final = 32
_MIN_PASSWORD: Final = 8

#: Demo users: (username, password, role, display name). For the demo world only.
DEMO_USERS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("outreach", "outreach-demo", "outreach", "맞춤형복지팀 김담당"),
    ("planner", "planner-demo", "planner", "시군구 기획 이주무관"),
    ("ministry", "ministry-demo", "ministry", "보건복지부 박사무관"),
    ("admin", "admin-demo", "admin", "시스템 관리자"),
)


class AccessDenied(PermissionError):  # noqa: N818 - the name the other services use
    """The viewer's role or jurisdiction does not allow the requested data."""


class UserInputError(ValueError):
    """A user could not be created from the given values (every problem in one message)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The acting user: who asks, in which role, for which jurisdiction.

    ``jurisdiction_code`` is a 읍면동 code for outreach workers, a 시군구 code for planners and
    ``None`` for national roles and the public.
    """

    user_id: int | None
    username: str
    role: str
    jurisdiction_code: str | None = None
    display_name: str = ""

    @property
    def is_authenticated(self) -> bool:
        """True for a logged-in user (any role but ``public``)."""
        return self.role != PUBLIC_ROLE

    @property
    def sees_households(self) -> bool:
        """True when the role may see household-level data at all."""
        return self.role in HOUSEHOLD_ROLES


PUBLIC_VIEWER: Final = Viewer(user_id=None, username="public", role=PUBLIC_ROLE)


# ------------------------------------------------------------------------------ jurisdictions
def in_jurisdiction(viewer: Viewer, region_code: str | None) -> bool:
    """Whether ``region_code`` (시도/시군구/읍면동) lies within the viewer's jurisdiction.

    National roles cover every region; ``public`` covers none for household purposes but every
    region for aggregates (callers decide which question they ask).
    """
    if viewer.role in NATIONAL_ROLES or viewer.role == PUBLIC_ROLE:
        return True
    if not viewer.jurisdiction_code or not region_code:
        return False
    return str(region_code).startswith(viewer.jurisdiction_code)


def may_see_household(viewer: Viewer, emd_code: str) -> bool:
    """Whether the viewer may see a household of 읍면동 ``emd_code`` (no side effects)."""
    if viewer.role == "admin":
        return True
    return viewer.role == "outreach" and bool(viewer.jurisdiction_code) and (
        str(emd_code) == viewer.jurisdiction_code
    )


def require_household_role(store: Store, viewer: Viewer, *, action: str, purpose: str = "") -> None:
    """Raise :class:`AccessDenied` (and audit it) unless the role may see households at all."""
    if viewer.sees_households:
        return
    audit(store, viewer, action=action, allowed=False, purpose=purpose,
          detail=f"role {viewer.role!r} sees aggregates only")
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
    frame = store.read_frame("household", where={"household_id": int(household_id)})
    if frame.empty or not may_see_household(viewer, str(frame.iloc[0]["emd_code"])):
        reason = "unknown household" if frame.empty else "outside jurisdiction"
        audit(store, viewer, action=action, object_type="household", object_id=str(household_id),
              purpose=purpose, allowed=False, detail=reason)
        # Same message for unknown and foreign households: do not reveal which ids exist.
        raise AccessDenied(f"household {household_id} is not in your jurisdiction")
    return frame.iloc[0].to_dict()


def household_scope(viewer: Viewer) -> dict[str, str]:
    """The ``where`` filter on ``household``/``risk_score`` for a viewer's own households.

    Raises
    ------
    AccessDenied
        For roles that see no household data (nothing is audited here; callers audit).
    """
    if viewer.role == "admin":
        return {}
    if viewer.role == "outreach" and viewer.jurisdiction_code:
        return {"jurisdiction_code": viewer.jurisdiction_code}
    raise AccessDenied(f"{viewer.role} users see aggregates only, not household records")


# ------------------------------------------------------------------------------ audit
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
        "role": viewer.role,
        "action": action[:32],
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id)[:64],
        "purpose": (purpose or None) and purpose[:200],
        "allowed": bool(allowed),
        "detail": detail,
    }
    with store.session() as session:
        session.execute(insert(table("audit_log")), [row])
    if not allowed:
        log.warning("access refused: %s %s %s/%s (%s)", viewer.username, action, object_type,
                    object_id, detail)


# ------------------------------------------------------------------------------ passwords
def hash_password(password: str) -> str:
    """Hash ``password`` with scrypt and a random salt: ``scrypt$N$r$p$salt$hash`` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=_SCRYPT_DKLEN)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches an encoded hash from :func:`hash_password` (constant time)."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                                r=int(r), p=int(p), dklen=len(bytes.fromhex(expected)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, bytes.fromhex(expected))


# ------------------------------------------------------------------------------ users
def _check_user(username: str, password: str, role: str, jurisdiction_code: str | None) -> None:
    problems: list[str] = []
    if not username or len(username) > 40 or not username.replace("_", "").replace("-", "").isalnum():
        problems.append("username must be 1-40 letters, digits, '-' or '_'")
    if len(password) < _MIN_PASSWORD:
        problems.append(f"password must have at least {_MIN_PASSWORD} characters")
    if role not in codes(ROLES):
        problems.append(f"role must be one of {list(codes(ROLES))}, not {role!r}")
    elif role == "outreach" and not (jurisdiction_code and len(jurisdiction_code) == 8):
        problems.append("an outreach worker needs an 8-digit 읍면동 jurisdiction code")
    elif role == "planner" and not (jurisdiction_code and len(jurisdiction_code) == 5):
        problems.append("a planner needs a 5-digit 시군구 jurisdiction code")
    elif role in NATIONAL_ROLES and jurisdiction_code:
        problems.append(f"a {role} user is national: leave the jurisdiction empty")
    if problems:
        raise UserInputError("cannot create user: " + "; ".join(problems))


def create_user(
    store: Store,
    *,
    username: str,
    password: str,
    role: str,
    jurisdiction_code: str | None = None,
    display_name: str = "",
) -> int:
    """Create a user with a hashed password and return its ``user_id``.

    Raises
    ------
    UserInputError
        Bad username, short password, unknown role, wrong jurisdiction for the role, or the
        username is taken.
    """
    _check_user(username, password, role, jurisdiction_code)
    users = table("app_user")
    with store.session() as session:
        if session.scalar(select(users.c.user_id).where(users.c.username == username)) is not None:
            raise UserInputError(f"cannot create user: username {username!r} is taken")
        result = session.execute(insert(users).values(
            username=username, password_hash=hash_password(password), role=role,
            jurisdiction_code=jurisdiction_code or None, display_name=display_name or username,
            active=True, created_at=dt.datetime.now(dt.UTC)))
        return int(result.inserted_primary_key[0])


def load_viewer(store: Store, user_id: int) -> Viewer | None:
    """The :class:`Viewer` of an active user, or ``None`` if unknown or deactivated."""
    users = table("app_user")
    with store.session() as session:
        row = session.execute(select(users).where(users.c.user_id == int(user_id))).mappings().first()
    if row is None or not row["active"]:
        return None
    return Viewer(user_id=row["user_id"], username=row["username"], role=row["role"],
                  jurisdiction_code=row["jurisdiction_code"], display_name=row["display_name"])


def authenticate(store: Store, username: str, password: str) -> Viewer | None:
    """Check a login; return the :class:`Viewer` or ``None``. Every attempt is audited."""
    users = table("app_user")
    with store.session() as session:
        row = session.execute(select(users).where(users.c.username == username)).mappings().first()
    # Hash even for unknown users so timing does not reveal which usernames exist.
    encoded = row["password_hash"] if row is not None else hash_password("not-a-user-password")
    ok = verify_password(password, encoded) and row is not None and bool(row["active"])
    viewer = Viewer(user_id=row["user_id"] if row else None, username=username[:40],
                    role=row["role"] if row else PUBLIC_ROLE)
    audit(store, viewer, action="login", allowed=ok, detail=None if ok else "bad credentials")
    return load_viewer(store, row["user_id"]) if ok and row is not None else None


def set_password(store: Store, username: str, password: str) -> None:
    """Replace a user's password (for administrators and the demo set-up)."""
    if len(password) < _MIN_PASSWORD:
        raise UserInputError(f"password must have at least {_MIN_PASSWORD} characters")
    users = table("app_user")
    with store.session() as session:
        session.execute(update(users).where(users.c.username == username)
                        .values(password_hash=hash_password(password)))


def ensure_demo_users(store: Store, *, jurisdictions: Mapping[str, str]) -> list[tuple[str, str]]:
    """Create the demo users (if missing) and return their ``(username, password)`` pairs.

    Parameters
    ----------
    store
        The store; its operational tables are created if needed.
    jurisdictions
        ``{"outreach": <읍면동 code>, "planner": <시군구 code>}``. National roles need none.

    Returns
    -------
    list of (str, str)
        Demo usernames and passwords, for the README and the CLI to print. Demo only.
    """
    store.init()
    created: list[tuple[str, str]] = []
    users = table("app_user")
    for username, password, role, name in DEMO_USERS:
        with store.session() as session:
            exists = session.scalar(select(users.c.user_id).where(users.c.username == username))
        if exists is None:
            create_user(store, username=username, password=password, role=role,
                        jurisdiction_code=jurisdictions.get(role), display_name=name)
            log.info("created demo user %s (%s)", username, role)
        created.append((username, password))
    return created
