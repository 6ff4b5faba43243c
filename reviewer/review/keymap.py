"""Commands and their keys as data: the default keymap ships in resources/keymap.json.

The UI turns each command id into an action with these keys; nothing hard-codes a shortcut in a
widget. Key sequences are Qt's portable text form ("Shift+Right", "Space"), so this stays Qt-free.
A user's own bindings live in ``keymap.json`` in the config folder and hold only what differs from
the defaults, so new default commands reach users who customised others.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from reviewer.errors import KnownError
from reviewer.store.local import config_dir

TAG_PREFIX = "tag."

# Titles for the cheat sheet, the command palette and the shortcuts editor (tag.* are made up from the tag).
TITLES: dict[str, str] = {
    "player.play_pause": "Play / pause",
    "player.pause": "Stop (shuttle)",
    "player.shuttle_forward": "Shuttle forward (again: faster)",
    "player.shuttle_backward": "Shuttle backward (again: faster)",
    "player.step_forward": "Next frame",
    "player.step_backward": "Previous frame",
    "player.second_forward": "One second forward",
    "player.second_backward": "One second back",
    "player.first_frame": "First frame (of the in-out range)",
    "player.last_frame": "Last frame (of the in-out range)",
    "player.set_in": "Set in point",
    "player.set_out": "Set out point",
    "player.clear_in": "Clear in point",
    "player.clear_out": "Clear out point",
    "player.toggle_loop": "Loop on / off",
    "player.every_frame": "Play every frame on / off (never skip one to keep time: playback slows instead)",
    "player.toggle_mute": "Sound on / off (muted when the session starts; no sound backwards or above 2x)",
    "player.speed_down": "Slower",
    "player.speed_up": "Faster",
    "decide.keep": "Keep (promote to the next stage)",
    "decide.reject": "Reject at this stage",
    "decide.clear": "Clear the verdict at this stage",
    "decide.rate_0": "No stars",
    "decide.rate_1": "Rate 1 star",
    "decide.rate_2": "Rate 2 stars",
    "decide.rate_3": "Rate 3 stars",
    "decide.rate_4": "Rate 4 stars",
    "decide.rate_5": "Rate 5 stars",
    "decide.note": "Note at the current frame (or the in-out range)",
    "decide.quick_tag": "Tag… (type a tag)",
    "decide.move_to_shot": "Move to shot…",
    "decide.hero": "Make this take its shot's hero (trimmed to the in and out points)",
    "decide.keep_only": "Keep this take, reject the others of its shot at this stage",
    "shots.new": "New shot…",
    "shots.edit": "Edit the selected shot…",
    "shots.move_up": "Move the selected shot up the board",
    "shots.move_down": "Move the selected shot down the board",
    "shots.import": "Import shots from a CSV…",
    "shots.clear_hero": "Clear the hero of the selected shot",
    "edit.undo": "Undo the last decision",
    "edit.redo": "Redo",
    "queue.next_take": "Next take",
    "queue.previous_take": "Previous take",
    "session.start": "Start a review session over the current filter",
    "session.stop": "Leave the review session",
    "session.toggle_auto_advance": "Auto-advance after a verdict on / off",
    "view.grid": "Grid (browser)",
    "view.player": "Player (loupe)",
    "view.compare": "Compare 2-up, again 4-up, again back to the player",
    "view.cut": "The cut: heroes of all shots played in order (again: back to the player)",
    "view.dashboard": "Funnel dashboard (a window of its own)",
    "view.survey": "Survey: the session's takes a page at a time, all playing (again: back to the player)",
    "survey.next_page": "Survey: apply the page rule to the unmarked takes, then the next page",
    "survey.bigger": "Survey: fewer, bigger cells (4×4, 3×3, 2×2)",
    "survey.smaller": "Survey: more, smaller cells (2×2, 3×3, 4×4)",
    "survey.page_rule": "Survey: change this stage's page rule (reject / keep / leave the unmarked)",
    "analysis.sensitivity": 'Analysis: how sure a finding must be for "Looks broken" (normal / high / low)',
    "disclosure.generated": "AI disclosure: declare the takes AI-generated (logged; Ctrl+Z undoes)",
    "disclosure.not_generated": "AI disclosure: declare the takes not AI-generated (camera, stock, hand-made)",
    "disclosure.unknown": "AI disclosure: declare the takes unknown",
    "disclosure.evidence": "AI disclosure: withdraw the declaration (the file's evidence decides again)",
    "disclosure.folder_not_generated": "AI disclosure: every take in this take's folder is not AI-generated (a rule)",
    "disclosure.folder_generated": "AI disclosure: every take in this take's folder is AI-generated (a rule)",
    "view.full_screen": "Full-screen player (Escape leaves)",
    "view.zoom": "Zoom: actual pixels (1:1) / fit",
    "view.proxy": "Play proxies (small local copies) instead of the originals, for slow storage (on / off)",
    "session.play_once": "Session: play each take once, then go on without a verdict (on / off)",
    "cut.next_shot": "Cut: next shot",
    "cut.previous_shot": "Cut: previous shot",
    "cut.swap_hero": "Cut: swap the shot's hero for its next keeper (a gap: its first) and replay",
    "compare.mode": "Compare: side by side, wipe, difference (two takes)",
    "compare.next_pane": "Compare: cursor to the next take",
    "compare.previous_pane": "Compare: cursor to the previous take",
    "view.table": "Grid / table",
    "view.search": "Search prompts and names",
    "view.refresh": "Refresh the listing (and go on analysing)",
    "view.duplicates": "Near-duplicates of this take",
    "view.family": "Family of this take: parent, siblings (same prompt, other seeds or small edits), children",
    "view.stacks": "Fold stacks on / off (near-identical takes of a shot shown once; a verdict goes to the stack)",
    "view.open_stack": "Open / close the current take's stack",
    "app.command_palette": "Command palette",
    "app.cheat_sheet": "Keyboard cheat sheet",
    "app.shortcuts": "Edit keyboard shortcuts",
    "app.switch_reviewer": "Switch reviewer",
    "app.about": "About Take Reviewer (versions of Qt, FFmpeg, the database)",
    "team.reveal_votes": "Reveal (or hide again) everyone's votes at this take's stage (leads)",
    "app.media_roots": "Media roots on this workstation (map shared storage mounted elsewhere)…",
    "app.watch_folders": "Watched folders: takes ingested as the generators write them…",
    "app.retry_list": "Retry list for the selected takes (or all shown): new seeds, back to ComfyUI…",
    "app.export": "Export a shot list (OTIO, EDL, FCP XML, ALE, CSV, JSON, selects, PDF)…",
    "app.quit": "Quit",
}


def title(command: str) -> str:
    if command.startswith(TAG_PREFIX):
        return f"Toggle tag “{command[len(TAG_PREFIX) :]}”"
    return TITLES.get(command, command)


def category(command: str) -> str:
    return {
        "player": "Playback",
        "decide": "Decisions",
        "tag": "Tags",
        "edit": "Decisions",
        "queue": "Navigation",
        "session": "Session",
        "view": "View",
        "app": "Application",
        "shots": "Shots",
        "compare": "Compare",
        "cut": "The cut",
        "team": "Team",
        "survey": "Survey",
        "analysis": "Analysis",
        "disclosure": "AI disclosure",
    }.get(command.split(".", 1)[0], "Other")


def default_keymap() -> dict[str, list[str]]:
    text = (resources.files("reviewer.resources") / "keymap.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {str(command): [str(k) for k in keys] for command, keys in data.items()}


def user_keymap_path() -> Path:
    return config_dir() / "keymap.json"


def load_keymap(path: Path | None = None) -> dict[str, list[str]]:
    """The defaults with the user's overrides on top; an unreadable override file is a clear error."""
    keymap = default_keymap()
    path = path or user_keymap_path()
    if not path.exists():
        return keymap
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnownError(f"Cannot read the keyboard shortcuts in {path}: {exc}") from None
    if not isinstance(data, dict):
        raise KnownError(f"{path} should map commands to lists of keys")
    for command, keys in data.items():
        if command in keymap and isinstance(keys, list):
            keymap[command] = [str(k) for k in keys if str(k).strip()]
    return keymap


def save_keymap(keymap: dict[str, list[str]], path: Path | None = None) -> Path:
    """Write the bindings that differ from the defaults (refused while two commands share a key)."""
    clashes = conflicts(keymap)
    if clashes:
        key, commands = next(iter(clashes.items()))
        raise KnownError(f"{key} is bound to {' and '.join(commands)}: give each key one command")
    defaults = default_keymap()
    overrides = {c: keys for c, keys in keymap.items() if c in defaults and keys != defaults[c]}
    path = path or user_keymap_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(overrides, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def conflicts(keymap: dict[str, list[str]]) -> dict[str, list[str]]:
    """Keys bound to more than one command: key -> the commands."""
    seen: dict[str, list[str]] = {}
    for command, keys in keymap.items():
        for key in keys:
            seen.setdefault(key.lower(), []).append(command)
    return {key: commands for key, commands in seen.items() if len(commands) > 1}


def is_single_key(sequence: str) -> bool:
    """A key without Ctrl/Alt/Meta (letters, digits, Space, ?): must not fire while typing in a field."""
    parts = sequence.split("+") if sequence != "+" else ["+"]
    return not any(p.strip().lower() in ("ctrl", "alt", "meta") for p in parts[:-1])
