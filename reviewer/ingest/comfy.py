"""ComfyUI API graphs as a take's file carries them, and variants of them for a retry.

A take written by ComfyUI carries the graph that made it in API format (``{node_id: {class_type,
inputs}}``): in the container's ``prompt`` tag (SaveVideo, VideoHelperSuite), in an older
VideoHelperSuite ``comment`` JSON, or in a same-stem sidecar (``.json``, the first frame's ``.png``).
A variant is that graph, unchanged but for what a retry changes: new seeds in the sampler and noise
nodes (through a linked seed node where the seed comes from one), text added to the positive or negative
prompt of the first sampling stage, and the output file-name prefix, which carries the parent take's id
(``tr<id>-``) so that the outputs come back with their lineage.
"""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from reviewer.ingest.provenance import (
    MAX_SIDECAR_BYTES,
    from_json_object,
    graph_nodes,
    is_link,
    loads_json,
    png_text_chunks,
    sampler_stages,
    sidecars,
    text_source,
)
from reviewer.media.probe import container_tags

SEED_KEYS = ("seed", "noise_seed")
LINKED_SEED_KEYS = ("seed", "noise_seed", "value", "int", "number")  # a Seed / Primitive node's output
MAX_SEED = 2**64 - 1  # ComfyUI's seed widgets go up to 0xffffffffffffffff


def _api_graph(value: Any) -> dict[str, Any] | None:
    """``value`` if it is (or is the JSON text of) a ComfyUI API graph: every node a class and inputs."""
    graph = loads_json(value) if isinstance(value, str) else value
    if not isinstance(graph, dict) or not graph or len(graph_nodes(graph)) != len(graph):
        return None
    return graph


def read_api_graph(video: Path) -> tuple[dict[str, Any] | None, str]:
    """The API graph that made ``video`` and where it was found, or (None, why there is none)."""
    tags = {k.lower(): v for k, v in container_tags(video).items()}
    found = _api_graph(tags.get("prompt"))
    if found is not None:
        return found, "tag:prompt"
    comment = loads_json(tags.get("comment", ""))
    if isinstance(comment, dict):
        found = _api_graph(comment.get("prompt")) or _api_graph(comment)
        if found is not None:
            return found, "tag:comment"
    for sidecar in sidecars(video):
        try:
            if sidecar.stat().st_size > MAX_SIDECAR_BYTES:
                continue
            data = sidecar.read_bytes()
        except OSError:
            continue
        if sidecar.suffix.lower() == ".json":
            obj = loads_json(data.decode("utf-8", "replace"))
            found = _api_graph(obj) or (_api_graph(obj.get("prompt")) if isinstance(obj, dict) else None)
        elif sidecar.suffix.lower() == ".png":
            found = _api_graph(png_text_chunks(data).get("prompt"))
        if found is not None:
            return found, f"sidecar {sidecar.name}"
    if "workflow" in tags and from_json_object({"workflow": tags["workflow"]}).generator:
        return None, "only the UI workflow is in the file (no API graph to run): re-export it from ComfyUI"
    return None, "no ComfyUI graph in the file or beside it"


def seed_inputs(graph: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (node id, input) holding a seed: samplers' and noise nodes' own seeds, and the seed nodes
    they are linked to."""
    found: list[tuple[str, str]] = []
    for key, node in graph.items():
        inputs = node.get("inputs", {})
        for name in SEED_KEYS:
            value = inputs.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                found.append((key, name))
            elif is_link(value):
                source = graph.get(str(value[0]))
                source_inputs = source.get("inputs", {}) if isinstance(source, dict) else {}
                for source_name in LINKED_SEED_KEYS:
                    source_value = source_inputs.get(source_name)
                    if isinstance(source_value, int) and not isinstance(source_value, bool):
                        if (str(value[0]), source_name) not in found:
                            found.append((str(value[0]), source_name))
                        break
    return found


def prompt_inputs(graph: dict[str, Any]) -> dict[str, tuple[str, str] | None]:
    """Where the first sampling stage's positive and negative prompt texts are written."""
    nodes = graph_nodes(graph)
    stages = sampler_stages(nodes)
    out: dict[str, tuple[str, str] | None] = {"positive": None, "negative": None}
    for stage in stages:
        for which in out:
            if out[which] is None:
                out[which] = text_source(nodes, stage[which], empty=which == "negative")
    return out


def prefix_inputs(graph: dict[str, Any]) -> list[str]:
    """The output nodes naming their files (SaveVideo, VHS_VideoCombine, SaveAnimatedWEBP, SaveImage...)."""
    return [k for k, n in graph.items() if isinstance(n.get("inputs", {}).get("filename_prefix"), str)]


def retry_prefix(prefix: str, parent_id: int, variant: int) -> str:
    """``video/LTX`` for take 12, variant 2: ``video/tr12-v2-LTX``."""
    path = PurePosixPath(prefix.replace("\\", "/") or "ComfyUI")
    name = f"tr{parent_id}-v{variant}-{path.name}"
    return str(path.with_name(name)) if str(path.parent) != "." else name


@dataclass
class Variant:
    graph: dict[str, Any]
    seeds: dict[str, list[int]] = field(default_factory=dict)  # "node.input": [old, new]
    edits: list[str] = field(default_factory=list)  # what else changed, said plainly
    warnings: list[str] = field(default_factory=list)  # an edit asked for that this graph cannot take


def make_variant(
    graph: dict[str, Any],
    parent_id: int,
    number: int,
    *,
    seed: int | None = None,
    negative_add: str = "",
    prompt_add: str = "",
) -> Variant:
    """A copy of ``graph`` with new seeds (``seed`` for the first, then one more each), the prompt edits,
    and output prefixes carrying ``parent_id``; everything else as it was."""
    out = Variant(copy.deepcopy(graph))
    g = out.graph
    next_seed = seed if seed is not None else secrets.randbelow(2**48)
    for key, name in seed_inputs(g):
        old = g[key]["inputs"][name]
        new = next_seed % (MAX_SEED + 1)
        if new == old:
            new = (new + 1) % (MAX_SEED + 1)
        g[key]["inputs"][name] = new
        out.seeds[f"{key}.{name}"] = [old, new]
        next_seed = new + 1
    if not out.seeds:
        out.warnings.append("no seed in this graph: the variant differs only in its edits")
    where = prompt_inputs(g)
    for which, addition in (("positive", prompt_add), ("negative", negative_add)):
        addition = addition.strip()
        if not addition:
            continue
        found = where[which]
        if found is None:
            out.warnings.append(f"no {which} prompt text in this graph: {addition!r} not added")
            continue
        node, name = found
        text = g[node]["inputs"][name].rstrip()
        g[node]["inputs"][name] = f"{text}, {addition}" if text else addition
        out.edits.append(f"{which} prompt + {addition!r} (node {node})")
    for key in prefix_inputs(g):
        old = g[key]["inputs"]["filename_prefix"]
        g[key]["inputs"]["filename_prefix"] = retry_prefix(old, parent_id, number)
        out.edits.append(f"filename_prefix {old!r} -> {g[key]['inputs']['filename_prefix']!r} (node {key})")
    return out


def dumps_graph(graph: dict[str, Any]) -> str:
    return json.dumps(graph, indent=2, ensure_ascii=False)
