"""Blind votes on both stores: hidden from the other voters until a lead reveals them, agreement shown,
undoable, in the log, and a lead's verdict settles the stage."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reviewer.cli import main
from reviewer.errors import KnownError
from reviewer.review import votes
from reviewer.review.decisions import Decision, decide, history, undo
from reviewer.store import models as m
from reviewer.store.db import Project
from tests.review.test_decisions import add_takes, row


@pytest.fixture
def shortlist(project: Project) -> list[int]:
    """Three takes kept at Triage, waiting at Shortlist, where the team votes and anna leads."""
    ids = add_takes(project, 3)
    decide(project, ids, Decision(verdict="keep"), reviewer="anna")
    votes.set_rules(project, voting=[1], leads=["anna"])
    return ids


def test_votes_are_blind_until_revealed_and_a_lead_settles(project: Project, shortlist: list[int]) -> None:
    a, b, _c = shortlist
    votes.cast(project, [a, b], "keep", "ben")
    votes.cast(project, a, "reject", "chloe")
    votes.cast(project, a, "keep", "dev")
    assert (
        row(project, a)["stage"] == "Shortlist" and row(project, a)["verdict"] is None
    )  # a vote decides nothing
    assert row(project, a)["reviewer"] == "anna"  # and is not the take's last decision

    with project.sessions() as session:
        hidden = votes.tally(session, 1, [a, b], "chloe", revealed=False)
        assert (hidden[a].count, hidden[a].mine, hidden[a].by) == (3, "reject", {})
        assert hidden[a].text() == "3 voted (hidden until revealed; yours: reject)"
        assert hidden[a].agreement is None
        texts = [e.text for e in history(session, a, viewer="chloe")]
        assert "voted reject at Shortlist" in texts  # her own vote
        assert texts.count("voted (hidden until the votes are revealed) at Shortlist") == 2  # ben's and dev's

    with pytest.raises(KnownError, match="At Shortlist the team votes"):
        decide(project, a, Decision(verdict="keep"), reviewer="ben")  # not a lead: a vote, not a verdict
    with pytest.raises(KnownError, match="Only a lead"):
        votes.reveal(project, 1, "ben")
    assert votes.reveal(project, 1, "anna").is_revealed(1)
    with project.sessions() as session:
        shown = votes.tally(session, 1, [a, b], "chloe", revealed=True)
        assert shown[a].by == {"ben": "keep", "chloe": "reject", "dev": "keep"}
        assert (shown[a].keep, shown[a].reject) == (2, 1) and shown[a].agreement == pytest.approx(2 / 3)
        assert shown[a].text() == "keep 2 · reject 1 — agreement 67% (ben keep, chloe reject, dev keep)"
        assert shown[b].by == {"ben": "keep"} and shown[b].agreement == 1.0

    change = votes.cast(project, a, "keep", "chloe")  # a change of mind: the last vote counts
    with project.sessions() as session:
        assert votes.tally(session, 1, [a], "x", revealed=True)[a].by["chloe"] == "keep"
    undo(project, change.event_ids, reviewer="chloe")  # and undoing it brings the one before back
    with project.sessions() as session:
        assert votes.tally(session, 1, [a], "x", revealed=True)[a].by["chloe"] == "reject"

    decide(project, a, Decision(verdict="keep"), reviewer="anna")  # the lead settles
    assert row(project, a)["stage"] == "Selects"
    with pytest.raises(KnownError, match="not a voted stage"):
        votes.cast(project, a, "keep", "ben")
    with project.sessions() as session:  # every vote is in the log: who, what, where from
        logged = session.execute(select(m.Reviewer.name, m.Event.vote, m.Event.workstation).join(m.Reviewer)
                                 .where(m.Event.vote.is_not(None))).all()  # fmt: skip
    assert len(logged) == 5 and all(host for _n, _v, host in logged)


def test_votes_from_the_command_line(
    project: Project, shortlist: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, c = shortlist
    url = project.url
    assert main(["team", url, "--voting", "Shortlist", "--lead", "anna"]) == 0
    assert "voted stages: Shortlist; leads: anna" in capsys.readouterr().out
    assert main(["vote", url, str(a), str(b), "--keep", "--as", "ben"]) == 0
    assert main(["vote", url, str(a), "--reject", "--as", "chloe"]) == 0
    capsys.readouterr()
    assert main(["votes", url, "-s", "Shortlist", "--as", "ben"]) == 0
    out = capsys.readouterr().out
    assert (
        "votes hidden until a lead reveals them" in out
        and "2 voted (hidden until revealed; yours: keep)" in out
    )
    assert main(["votes", url, "-s", "Shortlist", "--reveal", "--as", "ben"]) == 1
    assert "Only a lead" in capsys.readouterr().err
    assert main(["votes", url, "-s", "Shortlist", "--reveal", "--json", "--as", "anna"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = next(t for t in data["takes"] if t["id"] == a)
    assert (
        data["revealed"]
        and first["votes"] == {"ben": "keep", "chloe": "reject"}
        and first["agreement"] == 0.5
    )
    assert next(t for t in data["takes"] if t["id"] == c)["count"] == 0
    assert main(["decide", url, str(b), "--keep", "--as", "ben"]) == 1
    assert "the team votes" in capsys.readouterr().err
    assert main(["decide", url, str(b), "--keep", "--as", "anna"]) == 0
