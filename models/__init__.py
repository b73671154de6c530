"""Risk models for finding households in crisis (복지사각지대).

Entry points (imported from their modules to keep this package light):

* :func:`models.training.train_models` — train, calibrate, evaluate and register models;
* :func:`models.scoring.score_households` — score all households and write ``risk_score``;
* :func:`models.card.write_model_card` — HTML model card with plots;
* :func:`models.overrides.apply_overrides` — apply workers' tier overrides.

See ``docs/models.md``.
"""
