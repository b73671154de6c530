"""The table schema: SQLAlchemy 2 typed models with GeoAlchemy2 geometry columns.

Both stores use these definitions. PostGIS holds every table (created by the Alembic
migrations beside this module). The embedded store keeps the *bulk* tables (written whole by
ETL and scoring) as (Geo)Parquet files and the *operational* tables (written row by row by
users) in SQLite through these same models.

Coordinates are stored in EPSG:4326; distances and areas are measured in EPSG:5179.

Why one module of ~530 lines: it is declarative (one class per table) and Alembic and both stores
read one ``Base.metadata``; keeping every table in one place is what makes the migrations checkable.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STORAGE_SRID: Final = 4326
MEASURE_SRID: Final = 5179

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming convention (for Alembic)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --------------------------------------------------------------------------- regions
class Region(Base):
    """A 시도, 시군구 or 읍면동 with its characteristics."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    level: Mapped[str] = mapped_column(String(8), index=True)  # sido | sigungu | emd
    name: Mapped[str] = mapped_column(String(40))
    full_name: Mapped[str] = mapped_column(String(80))
    parent_code: Mapped[str | None] = mapped_column(String(10), index=True)
    sido_code: Mapped[str] = mapped_column(String(2))
    sigungu_code: Mapped[str | None] = mapped_column(String(5))
    urban_class: Mapped[str | None] = mapped_column(String(8))  # 대도시 | 중소도시 | 농어촌
    area_km2: Mapped[float] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    pop_0_17: Mapped[int | None] = mapped_column(Integer)
    pop_65plus: Mapped[int | None] = mapped_column(Integer)
    pop_disabled: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    nonhousing_share: Mapped[float | None] = mapped_column(Float)  # synthetic indicator
    multicultural_share: Mapped[float | None] = mapped_column(Float)  # synthetic indicator
    # 읍면동 welfare teams serving a real-density demo region (etl.generate.dense); NULL in the
    # sample-density layer, where visit capacity is scaled to the world (models.tiers)
    welfare_teams: Mapped[float | None] = mapped_column(Float)
    geometry = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True))
    display_geometry = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=True
    )


class Designation(Base):
    """A real employment-crisis area (고용위기지역) or special disaster area (특별재난지역)."""

    __tablename__ = "designation"

    designation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # employment_crisis | special_disaster
    sigungu_code: Mapped[str] = mapped_column(String(5), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    event: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)


# --------------------------------------------------------------------------- households
class Household(Base):
    """A household (세대) at a point inside its 읍면동. Personal data."""

    __tablename__ = "household"

    household_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    emd_code: Mapped[str] = mapped_column(String(10), index=True)
    sigungu_code: Mapped[str] = mapped_column(String(5), index=True)
    sido_code: Mapped[str] = mapped_column(String(2))
    size: Mapped[int] = mapped_column(SmallInteger)
    n_elderly: Mapped[int] = mapped_column(SmallInteger)
    n_children: Mapped[int] = mapped_column(SmallInteger)
    n_disabled: Mapped[int] = mapped_column(SmallInteger)
    head_age: Mapped[int] = mapped_column(SmallInteger)
    household_type: Mapped[str] = mapped_column(String(20))
    is_multicultural: Mapped[bool] = mapped_column(Boolean)
    housing_type: Mapped[str] = mapped_column(String(24))
    tenure: Mapped[str] = mapped_column(String(16))
    income_monthly_krw: Mapped[float] = mapped_column(Float)
    property_residential_krw: Mapped[float] = mapped_column(Float)
    property_general_krw: Mapped[float] = mapped_column(Float)
    financial_assets_krw: Mapped[float] = mapped_column(Float)
    car_value_krw: Mapped[float] = mapped_column(Float)
    debt_krw: Mapped[float] = mapped_column(Float)
    geometry = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True))

    __table_args__ = (
        # Distances are measured in EPSG:5179 metres. ST_DWithin on a transformed geometry can
        # only use an index built on the same expression; a plain geometry index is not used.
        Index(
            "ix_household_geom_5179",
            func.ST_Transform(geometry, MEASURE_SRID),  # type: ignore[arg-type]
            postgresql_using="gist",
        ),
    )


class Person(Base):
    """A household member with a synthetic name and a masked resident registration number."""

    __tablename__ = "person"

    person_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(20))
    rrn_masked: Mapped[str] = mapped_column(String(14))
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    sex: Mapped[str] = mapped_column(String(1))
    disability: Mapped[str] = mapped_column(String(8))  # none | mild | severe
    relation: Mapped[str] = mapped_column(String(10))  # head | spouse | child | parent | other


class CrisisSignal(Base):
    """One month of one crisis-signal source for one household (only months with a signal)."""

    __tablename__ = "crisis_signal"

    household_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class SafetyNetReport(Base):
    """A report through a safety-net channel (인적안전망, 복지로 도움 요청, ...)."""

    __tablename__ = "safety_net_report"

    report_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel: Mapped[str] = mapped_column(String(32))
    reported_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class BenefitHistory(Base):
    """수혜 이력: a programme a household received, with its period."""

    __tablename__ = "benefit_history"

    benefit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    programme: Mapped[str] = mapped_column(String(40))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


class DiscoveryHistory(Base):
    """발굴 이력: a past discovery cycle's selection of a household and the visit outcome.

    ``outcome`` is the label the risk models learn from (supported / not_eligible / unreachable).
    ``selection`` says why the household was visited: the legacy rule or the random audit sample.
    """

    __tablename__ = "discovery_history"

    discovery_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    cycle_date: Mapped[dt.date] = mapped_column(Date, index=True)
    selection: Mapped[str] = mapped_column(String(16))  # legacy_rule | audit_sample
    legacy_signal_count: Mapped[int] = mapped_column(SmallInteger)
    outcome: Mapped[str] = mapped_column(String(16))
    outcome_date: Mapped[dt.date] = mapped_column(Date)


class Consultation(Base):
    """상담 이력."""

    __tablename__ = "consultation"

    consultation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    consulted_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(40))


class Support(Base):
    """지원 이력: public, private or emergency support given."""

    __tablename__ = "support"

    support_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    supported_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # public | private | emergency
    programme: Mapped[str] = mapped_column(String(40))
    amount_krw: Mapped[float] = mapped_column(Float)


# --------------------------------------------------------------------------- facilities
class Facility(Base):
    """A social-welfare facility with capacity (정원) and current users (현원)."""

    __tablename__ = "facility"

    facility_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    type_code: Mapped[str] = mapped_column(String(8), index=True)
    type_name: Mapped[str] = mapped_column(String(60))
    target_group: Mapped[str] = mapped_column(String(20))
    function: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(Integer)
    current_users: Mapped[int] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(200))
    emd_code: Mapped[str | None] = mapped_column(String(10), index=True)
    sigungu_code: Mapped[str | None] = mapped_column(String(5), index=True)
    sido_code: Mapped[str | None] = mapped_column(String(2))
    geometry = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True))

    __table_args__ = (
        # KNN ordering (<->) in EPSG:5179 metres uses this expression index.
        Index(
            "ix_facility_geom_5179",
            func.ST_Transform(geometry, MEASURE_SRID),  # type: ignore[arg-type]
            postgresql_using="gist",
        ),
    )


# --------------------------------------------------------------------------- scores
class RiskScore(Base):
    """A household's calibrated risk probability, tier, rank and reasons under one model."""

    __tablename__ = "risk_score"

    household_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    scored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    probability: Mapped[float] = mapped_column(Float)
    tier: Mapped[int] = mapped_column(SmallInteger)
    rank: Mapped[int] = mapped_column(Integer)
    jurisdiction_code: Mapped[str] = mapped_column(String(10), index=True)
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of {code, label_ko, label_en, weight}


# --------------------------------------------------------------------------- operational
class AppUser(Base):
    """A login: role and jurisdiction (시군구 or 읍면동 code; empty for national roles)."""

    __tablename__ = "app_user"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # outreach | planner | ministry | admin | provider
    jurisdiction_code: Mapped[str | None] = mapped_column(String(10))
    facility_id: Mapped[int | None] = mapped_column(BigInteger)  # providers: the facility they answer for
    display_name: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditLog(Base):
    """Every view of a person's record, every export and every refusal."""

    __tablename__ = "audit_log"

    audit_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))  # view_case | export_csv | ...
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(200))
    allowed: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(Text)


class VisitActivity(Base):
    """활동 기록: 상담·방문·신청·사후관리 entries with an outcome code."""

    __tablename__ = "visit_activity"

    activity_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # consultation | visit | application | follow_up
    outcome_code: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    activity_date: Mapped[dt.date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.user_id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TierOverride(Base):
    """A worker's override of a household's tier, with a reason code."""

    __tablename__ = "tier_override"

    override_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    tier: Mapped[int] = mapped_column(SmallInteger)
    reason_code: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.user_id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # model version of the scores the worker overrode; a new version ends the override
    # (domain.tiers); NULL for overrides written before the column existed
    model_version: Mapped[str | None] = mapped_column(String(40))
    # the tier the household had when the worker overrode it (the history's "from")
    previous_tier: Mapped[int | None] = mapped_column(SmallInteger)


class Referral(Base):
    """A referral (서비스 의뢰) of a household to a facility, and where it stands.

    ``state`` follows :mod:`domain.referral`; ``version`` grows with every transition, so a
    transition is a conditional update (``WHERE state = :expected AND version = :seen``) and two
    workers acting at once cannot both win. ``due_date`` is when the next step is due.
    """

    __tablename__ = "referral"

    referral_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    facility_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    programme: Mapped[str | None] = mapped_column(String(40))
    need_group: Mapped[str | None] = mapped_column(String(20))  # facility target group
    need_function: Mapped[str | None] = mapped_column(String(20))  # facility function
    state: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    consent_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_on: Mapped[dt.date | None] = mapped_column(Date)
    sender_emd_code: Mapped[str | None] = mapped_column(String(10), index=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.user_id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))  # successful | not_successful
    reason: Mapped[str | None] = mapped_column(String(40))  # reject / cancel / not-successful reason
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReferralTransition(Base):
    """One step in a referral's history: who moved it from which state to which, and when."""

    __tablename__ = "referral_transition"

    transition_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    referral_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("referral.referral_id", ondelete="CASCADE"),
        index=True,
    )
    action: Mapped[str] = mapped_column(String(16))  # send | accept | reject | ...
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)


class UnmetNeed(Base):
    """A need registered by the worker when no provider in reach has a place or none accepts.

    ``status``: open → offered (a provider with free places of that kind appeared in reach) →
    matched (a referral was sent) or closed.
    """

    __tablename__ = "unmet_need"

    need_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(BigInteger, index=True)
    need_group: Mapped[str] = mapped_column(String(20))  # facility target group
    need_function: Mapped[str] = mapped_column(String(20))  # facility function
    urgency: Mapped[str] = mapped_column(String(8))  # urgent | high | normal
    emd_code: Mapped[str] = mapped_column(String(10), index=True)
    sigungu_code: Mapped[str] = mapped_column(String(5), index=True)
    cause: Mapped[str] = mapped_column(String(24))  # none_in_reach | none_accepted | none_free
    status: Mapped[str] = mapped_column(String(12), index=True)
    matched_facility_id: Mapped[int | None] = mapped_column(BigInteger)
    referral_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.user_id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FacilityOccupancy(Base):
    """Live 정원/현원 as providers and referrals change them, with who changed it last.

    On PostGIS the ``facility`` row is updated in the same transaction; the embedded store keeps
    ``facility`` in GeoParquet and lays these rows over it when it reads facilities.
    """

    __tablename__ = "facility_occupancy"

    facility_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    capacity: Mapped[int] = mapped_column(Integer)
    current_users: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(Integer)


class SimulationScenario(Base):
    """A saved 지자체별 시뮬레이션 scenario: discovery criteria (JSON of
    ``models.criteria.CriteriaSpec``) with its name, owner, scope and date; names are unique
    per owner."""

    __tablename__ = "simulation_scenario"
    __table_args__ = (UniqueConstraint("owner_user_id", "name"),)

    scenario_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(80))
    owner_user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.user_id"), index=True)
    owner_username: Mapped[str] = mapped_column(String(40))
    jurisdiction_code: Mapped[str | None] = mapped_column(String(10), index=True)  # None: national
    spec: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- bookkeeping
class LoginAttempt(Base):
    """One login attempt: who tried, from where, and how it ended (for rate limiting)."""

    __tablename__ = "login_attempt"

    attempt_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(8))  # ok | bad | locked


class UserSession(Base):
    """A server-side login session; the cookie holds only a random token whose hash is the key."""

    __tablename__ = "user_session"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("app_user.user_id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(64))


class TableVersion(Base):
    """PostGIS only: a counter per bulk table, raised in the same transaction as every write, so
    ``Store.data_version`` is exact and cheap (the embedded store uses its files' versions)."""

    __tablename__ = "table_version"

    table_name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


BULK_TABLES: Final[tuple[str, ...]] = (
    "region",
    "designation",
    "household",
    "person",
    "crisis_signal",
    "safety_net_report",
    "benefit_history",
    "discovery_history",
    "consultation",
    "support",
    "facility",
    "risk_score",
)
OPERATIONAL_TABLES: Final[tuple[str, ...]] = (
    "app_user",
    "audit_log",
    "visit_activity",
    "tier_override",
    "referral",
    "referral_transition",
    "unmet_need",
    "facility_occupancy",
    "simulation_scenario",
    "login_attempt",
    "user_session",
)
#: Store-internal tables (not data): PostGIS keeps its write counters here.
BOOKKEEPING_TABLES: Final[tuple[str, ...]] = ("table_version",)
SPATIAL_TABLES: Final[dict[str, tuple[str, ...]]] = {
    "region": ("geometry", "display_geometry"),
    "household": ("geometry",),
    "facility": ("geometry",),
}


def table(name: str):
    """Return the ``sqlalchemy.Table`` called ``name``.

    Raises
    ------
    KeyError
        If no table has that name.
    """
    try:
        return Base.metadata.tables[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {sorted(Base.metadata.tables)}") from None
