"""The dashboard's numbers, from real decisions in a real project."""

from __future__ import annotations

from sqlalchemy import select

from reviewer.review import dashboard, shots
from reviewer.review.decisions import Decision, decide
from reviewer.store import models as m
from reviewer.store.db import Project
from tests.review.test_decisions import add_takes


def test_dashboard_counts_the_funnel_throughput_keep_rates_defects_and_coverage(project: Project) -> None:
    ids = add_takes(project, 10)
    add_takes(project, 2, shot="SH020")
    with project.session() as session:
        for take in session.scalars(select(m.Take).where(m.Take.id.in_(ids[:4]))):
            take.model = "wan2.2"
    decide(project, ids[:3], Decision(verdict="keep"), "anna")  # wan2.2: 3 of 4 decided kept
    decide(project, ids[3:6], Decision(verdict="reject", tags_added=("morphing",)), "bo")
    decide(project, ids[6], Decision(verdict="reject", tags_added=("morphing", "flicker")), "bo")
    decide(project, ids[0], Decision(verdict="keep"), "anna")
    shots.set_hero(project, ids[0], reviewer="anna")
    with project.sessions() as session:
        d = dashboard.load(session)
    assert d.stages == [("Triage", 12), ("Shortlist", 3), ("Selects", 1), ("Selected", 1), ("Heroes", 1)]
    assert set(d.per_hour) == {"anna", "bo"} and d.per_hour["bo"] > 0
    assert sum(sum(days.values()) for days in d.per_day.values()) == 9  # the keep in the hero choice counts
    rates = {model: (n, rate) for model, n, rate in d.keep_rate_model}
    assert rates["wan2.2"] == (4, 0.75) and rates["(unknown)"] == (3, 0.0)
    assert d.defects == [("morphing", 4), ("flicker", 1)]
    assert d.coverage == [("SH010", 10, 3, True), ("SH020", 2, 0, False)]
