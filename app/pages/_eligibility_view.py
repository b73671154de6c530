"""Rendering of eligibility decisions (shared by the 모의계산 page and the case panel)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dash import html

from app.i18n import t
from eligibility.trace import Decision, won


def decision_item(decision: Decision, lang: str, *, receiving: bool | None = None) -> html.Li:
    """One programme: a likely / unlikely badge, the reason, the amount and the steps."""
    en = lang == "en"
    badge = html.Span(t("mc.likely" if decision.eligible else "mc.unlikely", lang),
                      className="atlas-badge " + ("atlas-elig-yes" if decision.eligible else "atlas-elig-no"))
    head = [html.Strong(decision.label_en if en else decision.label_ko), " ", badge]
    if receiving is not None:
        head += [" ", html.Span(t("ce.receiving" if receiving else "ce.not_receiving", lang),
                                className="atlas-badge")]
    body: list = [html.Div(head), html.P(decision.reason_en if en else decision.reason_ko,
                                         className="atlas-elig-reason")]
    if decision.monthly_amount:
        body.append(html.P(t("mc.amount", lang, amount=won(decision.monthly_amount))))
    body.append(html.Details([
        html.Summary(t("mc.steps", lang)),
        html.Ol([html.Li(step.en if en else step.ko) for step in decision.steps]),
        html.P(t("mc.sources", lang), className="atlas-label"),
        html.Ul([html.Li(source) for source in decision.sources], className="atlas-muted"),
    ]))
    return html.Li(body, className="atlas-elig-item", **{"data-programme": decision.programme,
                                                        "data-eligible": str(decision.eligible).lower()})


def decision_list(decisions: Sequence[Decision], lang: str, *,
                  received: Collection[str] | None = None, list_id: str | None = None,
                  collapse_unlikely: bool = False) -> html.Ul:
    """Likely programmes first, then the others; ``received`` marks receiving / not receiving;
    ``collapse_unlikely`` folds the unlikely ones into one closed ``details`` item."""
    def item(d: Decision) -> html.Li:
        return decision_item(d, lang, receiving=None if received is None else d.programme in received)

    likely = [item(d) for d in decisions if d.eligible]
    unlikely = [item(d) for d in decisions if not d.eligible]
    if collapse_unlikely and unlikely:
        folded = html.Li(html.Details([html.Summary(f"{t('mc.unlikely', lang)} ({len(unlikely)})"),
                                       html.Ul(unlikely, className="atlas-elig-list")]),
                         className="atlas-elig-item")
        return html.Ul([*likely, folded], className="atlas-elig-list", **({"id": list_id} if list_id else {}))
    return html.Ul([*likely, *unlikely], className="atlas-elig-list", **({"id": list_id} if list_id else {}))
