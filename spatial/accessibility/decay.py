"""Distance-decay weights ``W(d)`` for E2SFCA (Luo & Qi 2009 zones, Dai 2010 Gaussian)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from spatial.checks import AnalyticsInputError

__all__ = ["DistanceDecay", "GaussianDecay", "StepDecay"]


@runtime_checkable
class DistanceDecay(Protocol):
    """A distance-decay weight ``W(d)``: callable on an array of distances in metres."""

    def __call__(self, distance_m: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class StepDecay:
    """Piecewise-constant distance decay (Luo & Qi 2009 travel-time zones).

    ``W(d) = weights[k]`` for ``breaks_m[k-1] < d <= breaks_m[k]`` (zones are closed on
    the right, as in ``access.weights.step_fn``) and ``0`` beyond the last break.

    Parameters
    ----------
    breaks_m : sequence of float
        Strictly increasing upper zone limits in metres.
    weights : sequence of float
        Non-negative weight of each zone, same length as ``breaks_m``.

    Examples
    --------
    >>> decay = StepDecay((1000, 2000, 3000), (1.0, 0.68, 0.22))
    >>> decay(np.array([0.0, 1000.0, 1500.0, 3000.0, 3000.1])).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    """

    breaks_m: tuple[float, ...]
    weights: tuple[float, ...]
    _breaks: np.ndarray = field(init=False, repr=False, compare=False)
    _lookup: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        breaks = np.asarray(self.breaks_m, dtype=float)
        weights = np.asarray(self.weights, dtype=float)
        if breaks.ndim != 1 or breaks.size == 0 or breaks.shape != weights.shape:
            raise AnalyticsInputError(
                "StepDecay needs one weight per break, e.g. "
                "StepDecay((1000, 2000, 3000), (1.0, 0.68, 0.22))"
            )
        if not (np.all(np.isfinite(breaks)) and breaks[0] > 0 and np.all(np.diff(breaks) > 0)):
            raise AnalyticsInputError("StepDecay breaks_m must be positive and strictly increasing")
        if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
            raise AnalyticsInputError("StepDecay weights must be finite and non-negative")
        object.__setattr__(self, "breaks_m", tuple(breaks.tolist()))
        object.__setattr__(self, "weights", tuple(weights.tolist()))
        object.__setattr__(self, "_breaks", breaks)
        object.__setattr__(self, "_lookup", np.append(weights, 0.0))

    @classmethod
    def luo_qi(cls, catchment_m: float = 3000.0) -> StepDecay:
        """The classic three equal zones with weights 1.0 / 0.68 / 0.22 up to ``catchment_m``."""
        return cls(tuple(catchment_m * k / 3 for k in (1, 2, 3)), (1.0, 0.68, 0.22))

    def __call__(self, distance_m: np.ndarray) -> np.ndarray:
        """Weights for ``distance_m`` (any shape)."""
        d = np.asarray(distance_m, dtype=float)
        return self._lookup[np.searchsorted(self._breaks, d, side="left")]


@dataclass(frozen=True)
class GaussianDecay:
    """Gaussian distance decay truncated at the catchment.

    ``form="access"`` is the kernel of ``access.weights.gaussian(sigma)``:
    ``W(d) = exp(-d² / (2 σ²))``. ``form="dai"`` (default) is Dai's (2010) rescaling of
    the same kernel so that the weight falls continuously to 0 at the catchment ``d0``:
    ``W(d) = (exp(-d²/(2σ²)) - exp(-d0²/(2σ²))) / (1 - exp(-d0²/(2σ²)))``. With the
    default ``σ = d0`` this is Dai's published formula. Both are 0 for ``d > d0``.

    Parameters
    ----------
    catchment_m : float
        Catchment radius ``d0`` in metres.
    sigma_m : float, optional
        Gaussian width σ in metres; defaults to ``catchment_m``.
    form : {"dai", "access"}
        Dai's zero-at-the-edge rescaling, or the plain kernel used by ``access``.
    """

    catchment_m: float
    sigma_m: float | None = None
    form: Literal["dai", "access"] = "dai"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.catchment_m) and self.catchment_m > 0):
            raise AnalyticsInputError(
                "GaussianDecay catchment_m must be a positive number of metres"
            )
        if self.sigma_m is not None and not (np.isfinite(self.sigma_m) and self.sigma_m > 0):
            raise AnalyticsInputError("GaussianDecay sigma_m must be positive (or None)")
        if self.form not in ("dai", "access"):
            raise AnalyticsInputError("GaussianDecay form must be 'dai' or 'access'")

    @property
    def sigma(self) -> float:
        """The Gaussian width σ in metres."""
        return float(self.catchment_m if self.sigma_m is None else self.sigma_m)

    def __call__(self, distance_m: np.ndarray) -> np.ndarray:
        """Weights for ``distance_m`` (any shape)."""
        d = np.asarray(distance_m, dtype=float)
        two_sigma_sq = 2.0 * self.sigma**2
        w = np.exp(-(d * d) / two_sigma_sq)
        if self.form == "dai":
            edge = np.exp(-(self.catchment_m**2) / two_sigma_sq)
            w = (w - edge) / (1.0 - edge)
        return np.where(d <= self.catchment_m, w, 0.0)
