"""The progress callback shared by long-running kernels, services, jobs and the CLI."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "report"]


class Progress(Protocol):
    """Called with the fraction done (0-1) and a short message of the current step."""

    def __call__(self, fraction: float, message: str, /) -> None:
        """Report ``fraction`` (0-1) done, now at step ``message``."""


def report(progress: Progress | None, fraction: float, message: str) -> None:
    """Call ``progress`` if given, with ``fraction`` clipped to 0-1."""
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0), message)
