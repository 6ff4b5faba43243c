"""The layers of DESIGN.md hold: only reviewer/ui imports Qt, and nothing points up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import reviewer

PACKAGE = Path(reviewer.__file__).parent
# Which reviewer packages each layer may import (itself included). Arrows point down only.
ALLOWED = {
    "store": {"store", "errors", "untrusted", "resources"},
    "media": {"media", "errors", "untrusted"},
    "ingest": {"ingest", "media", "store", "errors", "untrusted"},
    "review": {"review", "store", "errors", "untrusted"},
    "export": {"export", "review", "store", "media", "errors", "untrusted"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_ui_imports_qt() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "ui" not in path.relative_to(PACKAGE).parts[:1]
        and any(n.split(".")[0] in ("PySide6", "shiboken6") for n in imports_of(path))
    ]
    assert offenders == []


def test_layers_import_only_downwards() -> None:
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in imports_of(path):
                parts = name.split(".")
                if parts[0] == "reviewer" and len(parts) > 1 and parts[1] not in allowed:
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


def test_the_core_and_cli_run_without_loading_qt() -> None:
    code = (
        "import sys, reviewer.cli, reviewer.ingest.ingest, reviewer.review.decisions, reviewer.demo;"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
