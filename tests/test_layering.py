"""The layers of DESIGN.md hold: only reviewer/ui imports Qt, nothing points up, and no module imports
itself back through others (an import circle), counting imports inside functions too."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import reviewer

PACKAGE = Path(reviewer.__file__).parent
# Which reviewer packages each layer may import (itself included). Arrows point down only.
# what the two top layers (the GUI, the command line) may build on
ABOVE_CORE = {"review", "export", "ingest", "store", "media", "errors", "untrusted", "about", "demo"}
ALLOWED = {
    "store": {"store", "errors", "untrusted", "resources"},
    "media": {"media", "errors", "untrusted"},
    "ingest": {"ingest", "media", "store", "errors", "untrusted"},
    "review": {"review", "store", "errors", "untrusted"},
    # retry lists go back to the generator: they read its graphs through ingest's provenance readers
    "export": {"export", "review", "ingest", "store", "media", "errors", "untrusted"},
    "ui": {"ui", "resources", *ABOVE_CORE},
    "cli": {"cli", "ui", *ABOVE_CORE},
    "demo": {"demo", "ingest", "review", "store", "media", "errors", "untrusted"},
    "about": {"about", "store", "media", "errors"},
    "untrusted": {"untrusted"},
    "errors": {"errors"},
}
# The command line opens the GUI (and asks it for its versions): only there may it import the ui.
CLI_UI_IMPORTS_ONLY_IN = {"_gui", "main"}


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


def layer_files(layer: str) -> list[Path]:
    folder = PACKAGE / layer
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [PACKAGE / f"{layer}.py"]


def test_every_module_has_a_layer() -> None:
    layers = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert layers - {"__init__", "__main__"} <= set(ALLOWED), layers - set(ALLOWED)


def test_layers_import_only_downwards() -> None:
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in layer_files(layer):
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


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["reviewer", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the reviewer modules it imports anywhere in it (``from a import b`` names a.b when b
    is a module)."""
    names = module_names()
    graph = {}
    for name, path in names.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {n for n in found if n in names and n != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_anywhere() -> None:
    assert circles(import_graph()) == []
    # and the check sees one where there is one
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_command_line_imports_the_gui_only_to_launch_it() -> None:
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    wrong = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        for node in ast.walk(func):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("reviewer.ui") and func.name not in CLI_UI_IMPORTS_ONLY_IN:
                wrong.append(f"{func.name} imports {module}")
    top = [
        n for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("reviewer.ui")
    ]
    assert wrong == [] and top == []
