"""Survey: a review session's queue a page at a time (Lightroom's Survey, Photo Mechanic's contact sheet).

A page is four, nine or sixteen cells from the session's queue, from where the session stands. Each
cell is a take, or a stack folded to one cell (its verdict goes to every take of the stack). The
reviewer marks the few that matter; ``next_page`` then applies the **page rule** to every cell still
without a verdict (reject, keep, or leave them) and turns to the next page. The rule is a setting per
project and stage; by default the first stage rejects the unmarked (a first pass keeps about one take
in ten: marking the keepers is the work) and later stages leave them undecided.

The page rule's verdicts are one event per take, marked ``source = "page-rule"`` in the log, recorded
in one transaction, and undone together (the window pushes them as one undo entry with the page, so
Ctrl+Z shows the page again as it was). Qt-free: the window draws the page and calls these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reviewer.errors import KnownError
from reviewer.review.decisions import PAGE_RULE, Change, Decision, decide
from reviewer.review.session import Session
from reviewer.store import models as m
from reviewer.store.db import Project

SIZES = (4, 9, 16)  # 2x2, 3x3, 4x4
DEFAULT_SIZE = 9
RULES = ("reject", "keep", "leave")
RULES_KEY = "survey_page_rules"  # project setting: {stage name: rule}


def columns(size: int) -> int:
    return {4: 2, 9: 3, 16: 4}[size]


def default_rule(stage_position: int) -> str:
    return "reject" if stage_position == 0 else "leave"


def page_rules(project: Project) -> dict[str, str]:
    data = project.setting(RULES_KEY) or {}
    return {str(k): str(v) for k, v in data.items() if v in RULES} if isinstance(data, dict) else {}


def page_rule(project: Project, stage_name: str, stage_position: int) -> str:
    """What Enter does with the unmarked cells of a page at this stage."""
    return page_rules(project).get(stage_name, default_rule(stage_position))


def set_page_rule(project: Project, stage_name: str, rule: str) -> None:
    if rule not in RULES:
        raise KnownError(f"A page rule is one of {', '.join(RULES)}, not {rule!r}")
    rules = page_rules(project)
    rules[stage_name] = rule
    project.set_setting(RULES_KEY, rules)


def describe_rule(rule: str, unmarked: int) -> str:
    """The survey header's promise, before Enter keeps it: “Enter: reject the 7 unmarked”."""
    if unmarked == 0:
        return "Enter: next page (every take here has a verdict)"
    takes = f"the {unmarked} unmarked" if unmarked > 1 else "the one unmarked"
    if rule == "reject":
        return f"Enter: reject {takes}"
    if rule == "keep":
        return f"Enter: keep {takes}"
    return f"Enter: next page ({unmarked} left undecided)"


@dataclass
class Page:
    """The cells on screen: frozen when the page is shown, so a decided cell stays until the page is done."""

    cells: list[int]  # the take shown in each cell (a stack's representative)
    members: dict[int, list[int]] = field(default_factory=dict)  # cell -> every take it stands for

    def takes(self, cell: int) -> list[int]:
        return self.members.get(cell, [cell])

    def all_takes(self) -> list[int]:
        return [t for cell in self.cells for t in self.takes(cell)]


def build_page(
    session: Session, size: int, stack_of: Callable[[int], Sequence[int]] = lambda t: (t,)
) -> Page:
    """The next ``size`` cells of the session's queue from where it stands: takes not yet decided in this
    session, a stack once (``stack_of(take)``: its takes in the queue, the representative first)."""
    if size not in SIZES:
        raise KnownError(f"A survey page has {', '.join(map(str, SIZES))} cells, not {size}")
    decided = set(session.decided)
    page = Page([])
    taken: set[int] = set()
    for take_id in session.queue[session.position :]:
        if len(page.cells) >= size:
            break
        if take_id in decided or take_id in taken:
            continue
        queued = set(session.queue)
        members = [t for t in stack_of(take_id) if t in queued and t not in decided] or [take_id]
        if take_id not in members:
            members.insert(0, take_id)
        cell = members[0]
        taken.update(members)
        page.cells.append(cell)
        if len(members) > 1:
            page.members[cell] = members
    return page


def turn_page(session: Session, page: Page) -> None:
    """Move the session past ``page`` (its rejected takes have already left the queue)."""
    on_page = set(page.all_takes()) | set(session.decided)
    i = session.position
    while i < len(session.queue) and session.queue[i] in on_page:
        i += 1
    if i >= len(session.queue):  # the end of the queue: stand on the last, as a finished session does
        session.position = len(session.queue)
    else:
        session.position = i


def unmarked(page: Page, verdict_of: Mapping[int, str | None]) -> list[int]:
    """The cells of the page without a verdict."""
    return [c for c in page.cells if verdict_of.get(c) is None]


def page_rule_takes(page: Page, rule: str, verdict_of: Mapping[int, str | None]) -> list[int]:
    """The takes the page rule decides: every take of every unmarked cell's stack (none: ``leave``)."""
    if rule not in RULES:
        raise KnownError(f"A page rule is one of {', '.join(RULES)}, not {rule!r}")
    if rule == "leave":
        return []
    return [t for cell in unmarked(page, verdict_of) for t in page.takes(cell)]


def apply_page_rule(
    project: Project,
    page: Page,
    rule: str,
    verdict_of: Mapping[int, str | None],
    stage_name: str,
    reviewer: str,
) -> Change | None:
    """Give the page rule's verdict to every unmarked cell (every take of its stack), one event each, in
    one transaction; None when the rule leaves them or nothing is unmarked."""
    ids = page_rule_takes(page, rule, verdict_of)
    if not ids:
        return None
    verdict = m.VERDICT_REJECT if rule == "reject" else m.VERDICT_KEEP
    return decide(project, ids, Decision(verdict=verdict, stage=stage_name, source=PAGE_RULE), reviewer)
