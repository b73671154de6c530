"""Configuration in one place: every setting comes from an ``ATLAS_*`` environment variable.

Examples
--------
>>> from geodata.settings import get_settings
>>> get_settings().data_dir.name
'var'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime settings read from ``ATLAS_*`` environment variables (or a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="ATLAS_", env_file=".env", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None,
        description="PostGIS URL (postgresql+psycopg://...). Unset: the embedded store under data_dir.",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "var", description="Embedded store and artefacts.")
    cache_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "cache",
        description="Derived files that are slow to build (prepared boundaries).",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Flask session secret; generated into data_dir when unset."
    )
    demo_households: int = Field(
        default=120_000, ge=0,
        description="Households of the demo world's sample-density layer (all of Korea by 시도 share, "
                    "outside the dense regions).",
    )
    demo_dense_regions: str = Field(
        default="27110,42190,46720",
        description="Comma-separated 시군구 codes the demo world generates at their real household "
                    "counts (etl/reference/demo_regions.csv): 대구 중구, 태백시, 곡성군; empty for none.",
    )
    demo_seed: int = Field(default=20261124)
    demo_sido: str = Field(
        default="",
        description="Comma-separated sido codes the demo world covers; empty means all of Korea.",
    )
    min_cell_count: int = Field(default=5, ge=1, description="Small-cell suppression threshold.")
    override_days: int = Field(
        default=60, ge=1, le=730,
        description="Days a worker's tier override stays in force (it also ends when new scores land).",
    )
    referral_answer_working_days: int = Field(
        default=3, ge=1, le=30, description="Working days a provider has to accept or reject a referral."
    )
    referral_start_working_days: int = Field(
        default=5, ge=1, le=60, description="Working days from acceptance to the start of the service."
    )
    referral_expire_working_days: int = Field(
        default=10, ge=1, le=60, description="Working days after which an unanswered referral expires."
    )
    referral_reach_m: float = Field(
        default=5000.0, gt=0, description="Distance in metres within which a provider is 'in reach'."
    )
    referral_complete_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Calendar days from acceptance to completion (통합사례관리: 접수 to plan in 30 days).",
    )
    login_max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed logins for one username that lock it for login_lock_minutes."
    )
    login_max_failures_per_address: int = Field(
        default=20, ge=1, description="Failed logins from one address that lock it for login_lock_minutes."
    )
    login_failure_window_minutes: int = Field(
        default=15, ge=1, description="The failures that lock must fall within this many minutes."
    )
    login_lock_minutes: int = Field(default=15, ge=1, description="How long a lock lasts.")
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A session unused this long is revoked (server-side)."
    )
    session_max_hours: int = Field(
        default=8, ge=1, le=24, description="A session older than this is revoked however busy."
    )
    host: str = "127.0.0.1"
    port: int = 8050
    web_workers: int = Field(default=2, ge=1, description="gunicorn worker processes (one per core).")
    web_threads: int = Field(default=4, ge=1, description="Threads per gunicorn worker.")
    warm_up: bool = Field(default=True, description="Compile the numba kernels at server start.")
    log_level: str = "INFO"

    @property
    def uses_postgis(self) -> bool:
        """True when ``ATLAS_DATABASE_URL`` points at PostGIS."""
        return self.database_url is not None

    @property
    def embedded_dir(self) -> Path:
        """Folder of the embedded store (GeoParquet + SQLite)."""
        return self.data_dir / "store"

    @property
    def models_dir(self) -> Path:
        """Folder of versioned model artefacts."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()
