"""docs/models.md figures come from the model card, between markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.card import write_model_card
from models.card_figures import BEGIN, END, replace_generated_section


def test_card_writes_the_figures_and_they_replace_the_section(report: Any, tmp_path: Path) -> None:
    page = write_model_card(report, tmp_path / "card")
    figures = (page.parent / "figures.md").read_text(encoding="utf-8")
    assert "precision_at_capacity" in figures and "ratio_vs_as_is_xgb" in figures
    assert "**Fairness by group**" in figures and "share_of_visits" in figures and "visits_over_need" in figures
    doc = tmp_path / "models.md"
    doc.write_text(f"# Models\n\nbefore\n{BEGIN}\nold 0.722\n{END}\nafter\n", encoding="utf-8")
    replace_generated_section(doc, figures)
    text = doc.read_text(encoding="utf-8")
    assert "old 0.722" not in text and figures.strip() in text
    assert text.startswith("# Models\n\nbefore\n") and text.endswith("after\n")


def test_a_document_without_markers_is_refused_and_left_alone(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no generated section"):
        replace_generated_section(doc, "figures")
    assert doc.read_text(encoding="utf-8") == "no markers\n"
