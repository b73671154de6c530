"""Services: a Store and a Viewer in, one module per capability, every view audited.

Services enforce access (role and jurisdiction, :mod:`domain.access`), mask identifiers,
suppress small cells (:mod:`domain.disclosure`) and write ``audit_log``
(:mod:`services.audit`). They know nothing of Dash: the pages in ``app/`` and the CLI in
``etl/`` call them.
"""
