"""The synthetic projects the benchmarks measure are what a real review leaves: every cached state is
the fold of the take's events, through the funnel of stages."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from reviewer.review.decisions import recompute_state, stages
from reviewer.store import models as m
from reviewer.store import synthetic
from reviewer.store.db import open_project

STATE = (m.TakeState.take_id, m.TakeState.stage_pos, m.TakeState.rejected, m.TakeState.rating,
         m.TakeState.note_count, m.TakeState.last_reviewer_id, m.TakeState.decided_at)  # fmt: skip


def test_a_funnel_of_stages_leaves_the_states_its_events_make(tmp_path: Path) -> None:
    project = open_project(tmp_path / "funnel.trproj")
    synthetic.fill(project, 3000, shots=6, seed=5, decided=1.0, funnel=(0.3, 0.5, 0.5), notes=0.4)
    with project.session() as session:
        written = {row[0]: tuple(row) for row in session.execute(select(*STATE))}
        all_stages = stages(session)
        for take_id in written:
            recompute_state(session, take_id, all_stages)
        session.flush()
        folded = {row[0]: tuple(row) for row in session.execute(select(*STATE))}
        notes = session.scalar(select(m.Event.id).where(m.Event.note.is_not(None)).limit(1))
    project.close()
    assert folded == written
    positions = Counter(row[1] for row in written.values())
    # Everyone decided: about 70% rejected at triage, then halves at each stage; some reach the end.
    assert 0.6 * 3000 < positions[0] < 0.8 * 3000
    assert positions[1] > positions[2] > 0 and positions[3] > 0
    assert positions[1] + positions[2] + positions[3] == sum(1 for r in written.values() if r[3] is not None)
    assert notes is not None and sum(r[4] for r in written.values()) > 0.3 * (3000 - positions[0])
