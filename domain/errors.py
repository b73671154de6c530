"""Errors every floor shares: a refusal of access and the base of every bad-input error."""

from __future__ import annotations

__all__ = ["AccessDenied", "InputError"]


class AccessDenied(PermissionError):  # noqa: N818 - the name every service and page uses
    """The viewer's role or jurisdiction does not allow the requested data."""


class InputError(ValueError):
    """Values a user or caller gave that cannot be used; the message lists every problem.

    Each capability raises its own subclass (``VisitListInputError``, ``SupplyInputError``, ...)
    so that callers may catch one family or all of them.
    """
