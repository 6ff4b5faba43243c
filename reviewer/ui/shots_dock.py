"""The shot board's controller: its model and view, its buttons, and the shot commands (new, edit,
reorder, import, delete; the hero; keep only this take). Given the project window (as the survey's
controller is), it edits through ``reviewer.review.shots`` and tells the window what changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import QFileDialog

from reviewer.errors import KnownError
from reviewer.review import shots
from reviewer.review.loading import project_fps, shot_order
from reviewer.store.db import Project
from reviewer.ui.shot_board import ShotBoard, ShotBoardModel, ShotDialog
from reviewer.ui.text import warn


def load_board(project: Project) -> list[shots.ShotRow]:
    """(a worker) The shot board's rows."""
    with project.sessions() as session:
        return shots.board(session)


class ShotsDock:
    def __init__(self, window: Any) -> None:
        self.w = window
        self.model = ShotBoardModel()
        self.model.takes_dropped.connect(lambda code, ids: window.deciding.move_takes(ids, code))
        self.board = ShotBoard(self.model)
        self.view = self.board.view
        self.view.clicked.connect(self.shot_clicked)
        self.view.doubleClicked.connect(lambda _index: self.edit_shot())
        for key, handler in (
            ("new", self.new_shot), ("edit", self.edit_shot), ("up", lambda: self.move_shot(-1)),
            ("down", lambda: self.move_shot(+1)), ("import", self.import_shots), ("delete", self.delete_shot),
            ("clear_hero", self.clear_hero),
        ):  # fmt: skip
            self.board.buttons[key].clicked.connect(handler)

    def shot_clicked(self, index: QModelIndex) -> None:
        code = self.model.code_at(index.row())
        self.w.listing.set_filter(dataclasses.replace(self.w.listing.filter, shots=(code,) if code else ()))

    def changed(self, renamed: dict[str, str] | None = None) -> None:
        """Shots were added, renamed, reordered or removed: the catalogue, lists and board follow."""
        if self.w.listing.catalog is not None:
            self.w.ops.read(shot_order, self.w.project, done=partial(self._shots_read, renamed), key="shots")
        else:
            self._shots_read(renamed, None)

    def _shots_read(self, renamed: dict[str, str] | None, found: Any) -> None:
        if self.w.listing.catalog is not None and found is not None:
            self.w.listing.catalog.take_shots(found, renamed)
            if renamed and self.w.listing.filter.shots:
                self.w.listing.filter = dataclasses.replace(
                    self.w.listing.filter, shots=tuple(renamed.get(c, c) for c in self.w.listing.filter.shots)
                )
            self.w.listing.apply_filter(keep_current=True)
        self.w.panel.set_vocabulary(self.w.listing.defects, self.w.listing.tags, self.w.listing.shot_codes())
        self.w.listing.refresh_choices()
        self.w.filter_bar.set_value(self.w.listing.filter)
        self.w.tasks.run(load_board, self.w.project, done=self.model.set_board, key="board")
        self.w.bin_timer.start()

    def _edit(self, what: str, fn: Callable[..., Any], *args: Any, renamed: dict[str, str] | None = None,
              said: Callable[[Any], str] | str = "", **kwargs: Any) -> None:  # fmt: skip
        """One board edit: ``fn(project, *args)`` through the window's ops (in the background in team mode);
        a refusal is a message box titled ``what``, else the board and lists follow and the status line
        says ``said`` (text, or made from the result)."""

        def made(result: Any) -> None:
            self.changed(renamed)
            text = said(result) if callable(said) else said
            if text:
                self.w.status_label.setText(text)

        def refused(exc: Exception) -> None:
            if isinstance(exc, KnownError):
                warn(self.w, what, str(exc))

        self.w.ops.write(partial(fn, **kwargs), self.w.project, *args, done=made, failed=refused)

    def new_shot(self) -> None:
        after = self.board.selected_code()
        dialog = ShotDialog(self.w, None)
        if dialog.exec() != ShotDialog.DialogCode.Accepted:
            return
        code, title, description, target = dialog.values()
        self._edit("New shot", shots.create_shot, code, title, description, target, after=after,
                   said=f"Shot {code} added")  # fmt: skip

    def edit_shot(self) -> None:
        code = self.board.selected_code()
        shot = self.model.board.get(code or "")
        if code is None or shot is None:
            self.w.status_label.setText("Choose a shot on the board first")
            return
        dialog = ShotDialog(self.w, shot)
        if dialog.exec() != ShotDialog.DialogCode.Accepted:
            return
        new_code, title, description, target = dialog.values()
        self._edit("Edit shot", shots.update_shot, code, new_code=new_code, title=title, description=description,
                   target_frames=target, renamed={code: new_code} if new_code != code else None)  # fmt: skip

    def move_shot(self, delta: int) -> None:
        code = self.board.selected_code()
        if code is None:
            return
        self._edit("Move shot", shots.move_shot, code, delta)
        QTimer.singleShot(0, lambda: self.board.select_code(code))

    def import_shots(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.w, "Import shots", "", "Shot lists (*.csv *.tsv *.txt);;All files (*)"
        )
        if not path:
            return
        name = Path(path).name

        def fps_read(fps: float) -> None:  # durations in seconds or timecode are read at the project's rate
            self._edit("Import shots", shots.import_csv, Path(path), fps=fps,
                       said=lambda r: f"Imported {name}: {len(r.created)} shots added, {len(r.updated)} updated")  # fmt: skip

        self.w.ops.read(project_fps, self.w.project, done=fps_read, key="fps")

    def delete_shot(self) -> None:
        code = self.board.selected_code()
        if code is not None:
            self._edit("Delete shot", shots.delete_shot, code, said=f"Shot {code} deleted")

    def clear_hero(self) -> None:
        code = self.board.selected_code() or (self.w.listing.current_row or {}).get("shot")
        if not code:
            return
        self.w.ops.run(f"Cleared the hero of {code}", shots.clear_hero, self.w.project, code, self.w.reviewer,
                     said=f"Shot {code} has no hero now (Ctrl+Z brings it back)")  # fmt: skip

    def make_hero(self) -> None:
        """H: the current take becomes its shot's hero, trimmed to the player's in and out points."""
        if self.w.listing.current_id is None:
            return
        lo, hi = self.w.player.timeline.in_point, self.w.player.timeline.out_point
        shot, name = (
            (self.w.listing.current_row or {}).get("shot"),
            (self.w.listing.current_row or {}).get("name"),
        )
        trim = f", frames {lo if lo is not None else 0}–{hi if hi is not None else 'end'}" if lo or hi else ""
        self.w.ops.run(f"Hero of {shot}", shots.set_hero, self.w.project, self.w.listing.current_id, lo, hi, self.w.reviewer,
                     said=f"Hero of {shot}: {name}{trim}")  # fmt: skip

    def keep_only(self) -> None:
        """Alt+P: keep this take and reject the others of its shot waiting at the same stage."""
        take_id = self.w.listing.current_id
        if take_id is None:
            return
        name = (self.w.listing.current_row or {}).get("name")
        self.w.ops.run("Kept one, rejected the rest", shots.keep_only, self.w.project, take_id, self.w.reviewer,
                     said=lambda change: f"Kept {name}, rejected {len(change.take_ids) - 1} others of its shot")  # fmt: skip
