"""Retry lists: what the reviewers learned, back to the people generating.

For each selected take made by ComfyUI (its API graph in the file or beside it), ``seeds`` variants of
that graph: new seeds, the prompt edits asked for, output prefixes that carry the parent take's id. Each
is written as an API-format graph file (``tr<id>-v<n>.json``: load it in ComfyUI, or post it to
``/prompt``); ``retry.json`` says for every graph which take it retries, its tags and notes, and what
changed. Takes without a graph (LTX Studio, Sora, Veo downloads, a UI-only workflow) go into a retry
*sheet* (``retry_sheet.csv``) for the person re-prompting in that tool.

``submit`` posts the graphs to a ComfyUI server's ``/prompt`` endpoint, the documented body
``{"prompt": graph, "client_id": ..., "extra_data": {"extra_pnginfo": {...}}}``: ComfyUI writes
``extra_pnginfo`` into its outputs' metadata, so a retry's outputs name their parent twice (prefix and
metadata). Nothing else is sent, and nothing anywhere but the given server.
"""

from __future__ import annotations

import csv
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from reviewer.errors import KnownError
from reviewer.export.selection import notes_in_effect
from reviewer.ingest import comfy
from reviewer.store import queries
from reviewer.store.db import Project
from reviewer.untrusted import json_value

MANIFEST = "retry.json"
SHEET = "retry_sheet.csv"
SHEET_COLUMNS = ["take", "name", "shot", "stage", "verdict", "generator", "model", "seed", "prompt",
                 "negative_prompt", "tags", "notes", "suggested_negative_add", "suggested_prompt_add",
                 "why_no_graph", "path"]  # fmt: skip
TIMEOUT_S = 20.0


@dataclass
class RetryGraph:
    file: str  # in the output folder
    parent: dict[str, Any]
    seeds: dict[str, list[int]]
    edits: list[str]
    warnings: list[str]
    graph: dict[str, Any]
    prompt_id: str | None = None
    refused: str | None = None


@dataclass
class RetryPlan:
    folder: Path
    graphs: list[RetryGraph] = field(default_factory=list)
    sheet: list[dict[str, Any]] = field(default_factory=list)
    submitted_to: str | None = None

    def manifest(self) -> dict[str, Any]:
        return json_value(
            {
                "take_reviewer_retry": 1,
                "submitted_to": self.submitted_to,
                "graphs": [
                    {
                        "file": g.file,
                        "parent": g.parent,
                        "seeds": g.seeds,
                        "edits": g.edits,
                        "warnings": g.warnings,
                        "prompt_id": g.prompt_id,
                        "refused": g.refused,
                    }
                    for g in self.graphs
                ],
                "sheet": SHEET if self.sheet else None,
            }
        )

    def write_manifest(self) -> None:
        (self.folder / MANIFEST).write_text(
            json.dumps(self.manifest(), indent=2, ensure_ascii=False), "utf-8"
        )


def _takes(session: Session, take_ids: list[int]) -> list[dict[str, Any]]:
    rows = list(queries.take_rows(session, take_ids))
    notes = notes_in_effect(session, take_ids)
    for row in rows:
        row["notes"] = [n.text for n in notes.get(row["id"], [])]
    return rows


def plan_retry(
    project: Project,
    take_ids: list[int],
    folder: Path,
    *,
    seeds: int = 1,
    negative_add: str = "",
    prompt_add: str = "",
    first_seed: int | None = None,
) -> RetryPlan:
    """Write the retry list for these takes into ``folder``: graphs, manifest, and the sheet if any."""
    if seeds < 1:
        raise KnownError("--seeds must be at least 1")
    folder.mkdir(parents=True, exist_ok=True)
    plan = RetryPlan(folder)
    with project.sessions() as session:
        takes = _takes(session, take_ids)
    next_seed = first_seed
    for take in takes:
        parent = {
            "id": take["id"], "name": take["name"], "shot": take["shot"], "stage": take["stage"],
            "verdict": take["verdict"], "content_hash": take["content_hash"], "tags": take["tags"],
            "notes": take["notes"], "seed": take["seed"], "path": take["path"],
        }  # fmt: skip
        graph, why = comfy.read_api_graph(Path(take["path"]))
        if graph is None:
            plan.sheet.append({
                "take": take["id"], "name": take["name"], "shot": take["shot"] or "", "stage": take["stage"],
                "verdict": take["verdict"] or "", "generator": take["generator"], "model": take["model"],
                "seed": take["seed"], "prompt": take["prompt"], "negative_prompt": take["negative_prompt"],
                "tags": "; ".join(take["tags"]), "notes": " | ".join(take["notes"]),
                "suggested_negative_add": negative_add, "suggested_prompt_add": prompt_add,
                "why_no_graph": why, "path": take["path"],
            })  # fmt: skip
            continue
        for n in range(1, seeds + 1):
            variant = comfy.make_variant(
                graph, take["id"], n, seed=next_seed, negative_add=negative_add, prompt_add=prompt_add
            )
            if next_seed is not None:
                next_seed = max((new for _old, new in variant.seeds.values()), default=next_seed) + 1
            name = f"tr{take['id']}-v{n}.json"
            (folder / name).write_text(comfy.dumps_graph(variant.graph), "utf-8")
            plan.graphs.append(
                RetryGraph(name, parent, variant.seeds, variant.edits, variant.warnings, variant.graph)
            )
    if plan.sheet:
        with open(folder / SHEET, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, SHEET_COLUMNS)
            writer.writeheader()
            for row in plan.sheet:
                writer.writerow({k: _cell(v) for k, v in row.items()})
    plan.write_manifest()
    return plan


def _cell(value: Any) -> Any:
    """A spreadsheet cell that cannot run as a formula (text from a prompt is untrusted)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# --- the ComfyUI server ----------------------------------------------------------------------------


def _endpoint(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KnownError(f"Not a ComfyUI server address: {url!r} (give http://host:8188)")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/prompt", "", ""))


def refusal_text(body: Any) -> str:
    """ComfyUI's error JSON in one or a few lines: ``{"error": {type, message, details}, "node_errors":
    {node: {class_type, errors: [{message, details}]}}}``."""
    if not isinstance(body, dict):
        return str(body)[:500]
    error = body.get("error")
    parts = []
    if isinstance(error, dict):
        head = str(error.get("message") or error.get("type") or "refused")
        if error.get("details"):
            head += f" ({error['details']})"
        parts.append(head)
    elif error:
        parts.append(str(error))
    node_errors = body.get("node_errors")
    for node, info in node_errors.items() if isinstance(node_errors, dict) else []:
        if not isinstance(info, dict):
            continue
        for e in info.get("errors", [])[:5] if isinstance(info.get("errors"), list) else []:
            if isinstance(e, dict):
                detail = f" ({e['details']})" if e.get("details") else ""
                parts.append(f"node {node} ({info.get('class_type', '?')}): {e.get('message', '')}{detail}")
    return "; ".join(parts)[:2000] or "refused, without a reason"


def submit(plan: RetryPlan, url: str, *, client_id: str | None = None, project_name: str = "") -> RetryPlan:
    """Post every graph of ``plan`` to the ComfyUI server at ``url``; each gets its prompt id or the
    server's reason for refusing it. A server that cannot be reached stops the run (KnownError)."""
    endpoint = _endpoint(url)
    client = client_id or str(uuid.uuid4())
    plan.submitted_to = url
    for item in plan.graphs:
        ours = {"parent": item.parent["id"], "parent_hash": item.parent["content_hash"], "project": project_name,
                "tags": item.parent["tags"], "notes": item.parent["notes"], "seeds": item.seeds}  # fmt: skip
        body = {
            "prompt": item.graph,
            "client_id": client,
            "extra_data": {"extra_pnginfo": {"take_reviewer": ours}},
        }
        request = urllib.request.Request(
            endpoint, data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # http(s) only: _endpoint
                answer = json.loads(response.read(1 << 20) or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read(1 << 20) or b"{}")
            except ValueError:
                answer = {"error": f"HTTP {exc.code} {exc.reason}"}
            item.refused = refusal_text(answer)
            continue
        except (urllib.error.URLError, OSError, ValueError) as exc:
            plan.write_manifest()
            reason = getattr(exc, "reason", exc)
            raise KnownError(f"Cannot reach the ComfyUI server at {url}: {reason}") from None
        prompt_id = answer.get("prompt_id") if isinstance(answer, dict) else None
        if isinstance(prompt_id, str) and prompt_id:
            item.prompt_id = prompt_id
        else:
            item.refused = refusal_text(answer)
    plan.write_manifest()
    return plan
