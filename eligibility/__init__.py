"""Eligibility pre-check (가판정): 소득인정액 and likely programmes, with dated parameters.

A small rules engine in the manner of OpenFisca: parameters are dated files with their legal
or official source (:mod:`eligibility.parameters`), formulas are vectorised over household
frames (:mod:`eligibility.rules`), a trace explains one household's decisions
(:mod:`eligibility.trace`) and a reform is a set of parameter overrides
(:mod:`eligibility.reform`). No Store, no Viewer: services call it with plain frames.
"""
