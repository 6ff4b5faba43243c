"""Where a take came from: generator, model, prompt, negative prompt, seed and parameters.

Read from, in order of trust: the container's own tags (ComfyUI ``prompt``/``workflow``, an older
VideoHelperSuite JSON ``comment``, A1111-style infotext in ``comment``), same-stem sidecars (``.json``,
``.txt``, the first-frame ``.png`` and its text chunks), and LTX-Video style file names. Later sources
only fill what earlier ones left empty.

All of it is untrusted: every read is size-limited, every parse is defensive (garbage yields nothing,
never an exception) and linear in the size of its input (no backtracking pattern meets untrusted text;
a graph walk visits each node once), and everything comes out as plain text with control characters
removed. Parameters are normalised to what strict JSON and OpenTimelineIO can carry: a number that does
not fit a double, or is not finite, is kept as its text. A ``Budget`` bounds the time of one file's
metadata work on top of that.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import time
import zlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from reviewer.untrusted import json_value

MAX_SIDECAR_BYTES = 4 << 20
MAX_TEXT = 64 << 10
MAX_PARAM_TEXT = 2 << 10
MAX_PARAMS = 200
MAX_PNG_CHUNK = 8 << 20
MAX_LINK_DEPTH = 12
MAX_PARAMS_LINE = 64 << 10  # an A1111 parameters line: real ones with LoRA hashes are a few KB
MAX_NODES = 5000  # nodes of one ComfyUI graph looked at

# C0 controls but newline and tab, DEL, C1 controls, and the explicit bidi embeddings, overrides and
# isolates (a prompt needs none of them; U+202E makes text read backwards). Lone surrogates (from a
# name that was not UTF-8) cannot be stored as text at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(value: Any, limit: int = MAX_TEXT) -> str:
    """Any value as plain, bounded text: control characters (but newlines and tabs) removed, a carriage
    return made a newline, bidi overrides removed."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = text[: limit * 2]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text).strip()
    if len(text) > limit:
        text = text[:limit] + " [...]"
    return text


class OverBudget(Exception):
    """One file's metadata took longer than its budget."""

    def __init__(self, seconds: float | None) -> None:
        super().__init__(f"reading its metadata took over {seconds:g} s")


class Budget:
    """A deadline that the parsers check between steps (each step is bounded, so one check per node,
    chunk or sidecar is enough). ``Budget(None)`` never runs out."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OverBudget(self.seconds)


UNLIMITED = Budget(None)


def _seed_text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value) if -(10**40) < value < 10**40 else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,40}", value.strip()):
        return value.strip()
    return ""


@dataclass
class Provenance:
    generator: str = ""
    model: str = ""
    prompt: str = ""
    negative_prompt: str = ""
    seed: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    shot: str = ""

    def empty(self) -> bool:
        return not (self.generator or self.model or self.prompt or self.seed or self.shot)

    def fill_from(self, other: Provenance) -> None:
        """Take ``other``'s values where this one has none; note where they came from."""
        gained = False
        for f in fields(self):
            if f.name in ("params", "source"):
                continue
            if not getattr(self, f.name) and getattr(other, f.name):
                setattr(self, f.name, getattr(other, f.name))
                gained = True
        for key, value in other.params.items():
            if key not in self.params and len(self.params) < MAX_PARAMS:
                self.params[key] = value
                gained = True
        if gained and other.source:
            self.source = f"{self.source}, {other.source}" if self.source else other.source


def _scalar_params(items: dict[str, Any], skip: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in items.items():
        if key in skip or len(out) >= MAX_PARAMS:
            continue
        if isinstance(value, bool | int | float):
            out[clean_text(key, 100)] = json_value(value)
        elif isinstance(value, str):
            out[clean_text(key, 100)] = clean_text(value, MAX_PARAM_TEXT)
    return out


def loads_json(text: str) -> Any:
    if not text or len(text) > MAX_SIDECAR_BYTES:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


# --- ComfyUI -----------------------------------------------------------------------------------

_TEXT_KEYS = ("text", "positive_prompt", "prompt", "text_g", "positive", "string")
_NEG_KEYS = ("negative_prompt", "negative", "text_negative")
_MODEL_KEYS = ("ckpt_name", "unet_name", "model_name", "model", "model_path", "base_model")
_SAMPLER_PARAM_KEYS = ("steps", "cfg", "sampler_name", "scheduler", "denoise", "shift", "guidance")
_SIZE_KEYS = ("width", "height", "length", "num_frames", "frame_rate", "fps", "batch_size")


def is_link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str | int)


def _output(link: list[Any]) -> int:
    """Which output of the node a link ``[node, output_index]`` takes."""
    return link[1] if isinstance(link[1], int) and not isinstance(link[1], bool) else 0


def graph_nodes(graph: Any, budget: Budget = UNLIMITED) -> dict[str, dict[str, Any]]:
    if not isinstance(graph, dict):
        return {}
    out = {}
    for node_id, node in list(graph.items())[:MAX_NODES]:
        if isinstance(node, dict) and isinstance(node.get("class_type"), str):
            inputs = node.get("inputs")
            out[str(node_id)] = {
                "class_type": node["class_type"],
                "inputs": inputs if isinstance(inputs, dict) else {},
            }
    budget.check()
    return out


def _follow_text(
    nodes: dict[str, dict[str, Any]], link: Any, seen: set[str] | None = None, depth: int = 0
) -> str:
    """The prompt text at the end of a conditioning link (through combine/conditioning nodes)."""
    found = text_source(nodes, link, seen, depth)
    return nodes[found[0]]["inputs"][found[1]] if found else ""


def text_source(
    nodes: dict[str, dict[str, Any]], link: Any, seen: set[str] | None = None, depth: int = 0,
    empty: bool = False,
) -> tuple[str, str] | None:  # fmt: skip
    """Where the prompt text at the end of a conditioning link is written: (node id, input name).

    Each node is visited at most once per search, so a graph whose nodes link to each other many times
    over (or in a circle) costs time in proportion to its size, not to the number of paths through it.
    With ``empty``, a text encoder whose text is empty counts (a negative prompt left blank)."""
    if depth > MAX_LINK_DEPTH or not is_link(link):
        return None
    seen = set() if seen is None else seen
    key = str(link[0])
    node = nodes.get(key)
    if node is None or key in seen:
        return None
    seen.add(key)
    inputs = node["inputs"]
    if is_link(inputs.get("positive")) and is_link(inputs.get("negative")):
        # Nodes that take and give both (LTXVConditioning, ControlNetApplyAdvanced, WanImageToVideo,
        # InstructPixToPixConditioning...): output 0 is the positive, output 1 the negative.
        which = "negative" if _output(link) == 1 else "positive"
        return text_source(nodes, inputs[which], seen, depth + 1, empty)
    for name in _TEXT_KEYS:
        value = inputs.get(name)
        if isinstance(value, str) and (value.strip() or (empty and "encode" in node["class_type"].lower())):
            return key, name
        if is_link(value):
            found = text_source(nodes, value, seen, depth + 1, empty)
            if found:
                return found
    for name, value in inputs.items():
        if name in ("clip", "model", "vae", "image", "images", "latent", "samples"):
            continue
        if is_link(value):
            found = text_source(nodes, value, seen, depth + 1, empty)
            if found:
                return found
    return None


_STAGE_KEYS = ("noise", "guider", "sampler", "sigmas")  # SamplerCustomAdvanced's parts, each its own node
_LATENT_KEYS = ("latent_image", "latent", "samples")


def _is_sampler(node: dict[str, Any]) -> bool:
    """A node that samples (KSampler, KSamplerAdvanced, SamplerCustom, SamplerCustomAdvanced, video
    wrappers' samplers), not one that only picks a sampler or its sigmas."""
    cls = node["class_type"].lower()
    return "sampler" in cls and "select" not in cls and not cls.endswith(("scheduler", "sigmas"))


def _linked(nodes: dict[str, dict[str, Any]], value: Any) -> dict[str, Any] | None:
    return nodes.get(str(value[0])) if is_link(value) else None


def _sampler_info(nodes: dict[str, dict[str, Any]], node: dict[str, Any]) -> dict[str, Any]:
    """One sampler's seed, conditioning links and parameters, read from it and from the nodes its parts
    come from (RandomNoise, CFGGuider/BasicGuider, KSamplerSelect, BasicScheduler/LTXVScheduler)."""
    inputs = node["inputs"]
    parts = [inputs] + [p["inputs"] for k in _STAGE_KEYS if (p := _linked(nodes, inputs.get(k))) is not None]
    info: dict[str, Any] = {"node": node["class_type"], "seed": "", "positive": None, "negative": None}
    params: dict[str, Any] = {}
    for part in parts:
        for key in ("seed", "noise_seed"):
            if not info["seed"]:
                info["seed"] = _seed_text(part.get(key))
        for key in ("positive", "text_embeds", "conditioning"):
            if info["positive"] is None and is_link(part.get(key)):
                info["positive"] = part[key]
        if info["negative"] is None and is_link(part.get("negative")):
            info["negative"] = part["negative"]
        params.update(
            _scalar_params({k: part[k] for k in _SAMPLER_PARAM_KEYS if k in part and k not in params})
        )
    info["params"] = params
    return info


def _upstream_samplers(nodes: dict[str, dict[str, Any]], start: str, budget: Budget) -> int:
    """How many samplers feed this one (through any links): 0 for the first stage of a pipeline."""
    seen, stack, found = {start}, [start], 0
    while stack:
        node = nodes.get(stack.pop())
        if node is None:
            continue
        for value in node["inputs"].values():
            if is_link(value) and str(value[0]) not in seen and len(seen) < MAX_NODES:
                key = str(value[0])
                seen.add(key)
                if key in nodes and _is_sampler(nodes[key]):
                    found += 1
                stack.append(key)
    budget.check()
    return found


def sampler_stages(nodes: dict[str, dict[str, Any]], budget: Budget = UNLIMITED) -> list[dict[str, Any]]:
    """The graph's samplers, the first stage of a pipeline first: each one's node, seed, conditioning
    links and parameters."""
    keys = sorted((k for k, n in nodes.items() if _is_sampler(n)), key=_node_order)
    keys.sort(key=lambda k: _upstream_samplers(nodes, k, budget))
    return [{**_sampler_info(nodes, nodes[k]), "id": k} for k in keys[:20]]


def _node_order(key: str) -> tuple[int, str]:
    head = key.split(":")[0]
    return (int(head), key) if head.isdigit() else (1 << 30, key)


_LOAD_KEYS = ("image", "video", "file", "path", "video_path", "image_path")
_SEED_KEYS = ("seed", "noise_seed")
_FILE_NAME = re.compile(r"\.[A-Za-z0-9]{2,5}$")


def _loaded_file(value: Any) -> str:
    """A file name a loader node was given: ``"sub/name.png [output]"`` is ``sub/name.png``."""
    if not isinstance(value, str):
        return ""
    text = clean_text(value, 1000)
    if text.endswith("]") and " [" in text:
        text = text[: text.rindex(" [")]
    return text if _FILE_NAME.search(text) else ""


def loaded_files(nodes: dict[str, dict[str, Any]]) -> list[str]:
    """The files the graph's loaders read (LoadImage, LoadVideo, VHS_LoadVideo, VHS_LoadVideoPath...):
    what an image-to-video, extend or video-to-video take was made from."""
    found: list[str] = []
    for key in sorted(nodes, key=_node_order):
        cls = nodes[key]["class_type"].lower()
        if "load" not in cls or not any(word in cls for word in ("image", "video")):
            continue
        for name in _LOAD_KEYS:
            value = _loaded_file(nodes[key]["inputs"].get(name))
            if value and value not in found and len(found) < 20:
                found.append(value)
    return found


def graph_hash(nodes: dict[str, dict[str, Any]]) -> str:
    """The graph with its seeds, prompt texts, loaded files and output names left out: the same for
    every run of one workflow with other seeds, prompts or inputs."""
    canonical = {}
    for key, node in nodes.items():
        inputs = {}
        for name, value in node["inputs"].items():
            if name in _SEED_KEYS or name in _LOAD_KEYS or name == "filename_prefix":
                continue
            if isinstance(value, str) and name in (*_TEXT_KEYS, *_NEG_KEYS):
                continue
            inputs[name] = value
        canonical[key] = [node["class_type"], inputs]
    text = json.dumps(canonical, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:16]


def parse_comfy_prompt(graph: Any, budget: Budget = UNLIMITED) -> Provenance:
    """Provenance from a ComfyUI API-format graph: ``{node_id: {class_type, inputs}}`` (a subgraph's
    nodes come flattened, with ids like ``"12:5"``). With several samplers (a two-stage pipeline), the
    first stage's seed is the take's; every sampler is in the parameters (``samplers``)."""
    nodes = graph_nodes(graph, budget)
    prov = Provenance(generator="ComfyUI")
    if not nodes:
        return Provenance()
    stages = sampler_stages(nodes, budget)
    for stage in stages:
        budget.check()
        if not prov.seed:
            prov.seed = stage["seed"]
        if not prov.prompt:
            prov.prompt = _follow_text(nodes, stage["positive"])
        if not prov.negative_prompt:
            prov.negative_prompt = _follow_text(nodes, stage["negative"])
    if stages:
        for key, value in stages[0]["params"].items():
            prov.params.setdefault(key, value)
        prov.params.setdefault("sampler_node", stages[0]["node"])
    if len(stages) > 1:
        prov.params["samplers"] = [
            {"node": st["node"], **({"seed": st["seed"]} if st["seed"] else {}), **st["params"]}
            for st in stages
        ]
    if not prov.seed:
        for node in nodes.values():
            for key in ("seed", "noise_seed"):
                prov.seed = prov.seed or _seed_text(node["inputs"].get(key))
    budget.check()
    for node in nodes.values():
        inputs = node["inputs"]
        cls = node["class_type"].lower()
        if not prov.prompt and ("textencode" in cls or "prompt" in cls):
            for key in _TEXT_KEYS:
                if isinstance(inputs.get(key), str) and inputs[key].strip():
                    prov.prompt = inputs[key]
                    break
        if not prov.negative_prompt:
            for key in _NEG_KEYS:
                if isinstance(inputs.get(key), str) and inputs[key].strip():
                    prov.negative_prompt = inputs[key]
                    break
        if not prov.model and ("loader" in cls or "model" in cls):
            for key in _MODEL_KEYS:
                if isinstance(inputs.get(key), str) and inputs[key].strip():
                    prov.model = inputs[key]
                    break
        if "latent" in cls or "empty" in cls:
            prov.params.update(_scalar_params({k: inputs[k] for k in _SIZE_KEYS if k in inputs}))
    loads = loaded_files(nodes)
    if loads:
        prov.params["loads"] = loads
    prov.params["graph_hash"] = graph_hash(nodes)
    budget.check()
    prov.prompt = clean_text(prov.prompt)
    prov.negative_prompt = clean_text(prov.negative_prompt)
    prov.model = clean_text(prov.model, 300)
    return prov


def parse_comfy_workflow(workflow: Any) -> Provenance:
    """Provenance from a ComfyUI UI-format workflow (``nodes`` with ``widgets_values``): best effort."""
    if not isinstance(workflow, dict) or not isinstance(workflow.get("nodes"), list):
        return Provenance()
    prov = Provenance(generator="ComfyUI")
    every = list(workflow["nodes"][:MAX_NODES])
    definitions = workflow.get("definitions")
    subgraphs = definitions.get("subgraphs") if isinstance(definitions, dict) else None
    for graph in subgraphs if isinstance(subgraphs, list) else []:  # current front ends' subgraphs
        if isinstance(graph, dict) and isinstance(graph.get("nodes"), list):
            every += graph["nodes"][: max(0, MAX_NODES - len(every))]
    for node in every:
        if not isinstance(node, dict):
            continue
        kind = str(node.get("type", "")).lower()
        widgets = node.get("widgets_values")
        if not isinstance(widgets, list) or not widgets:
            continue
        first = widgets[0]
        title = str(node.get("title", "")).lower()
        if "textencode" in kind and isinstance(first, str):
            if "negative" in title:
                prov.negative_prompt = prov.negative_prompt or first
            else:
                prov.prompt = prov.prompt or first
        elif ("sampler" in kind or kind == "randomnoise") and not prov.seed:
            prov.seed = _seed_text(first)
        elif "loader" in kind and isinstance(first, str) and not prov.model:
            prov.model = first
    prov.prompt = clean_text(prov.prompt)
    prov.negative_prompt = clean_text(prov.negative_prompt)
    prov.model = clean_text(prov.model, 300)
    return prov if not (prov.prompt == "" and prov.seed == "" and prov.model == "") else Provenance()


# --- A1111 infotext ----------------------------------------------------------------------------

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ -/()")


def infotext_params(line: str) -> list[tuple[str, str]]:
    """``Steps: 20, Sampler: Euler a, Lora hashes: "a: 1, b: 2"`` as (key, value) pairs, in one pass.

    A key is letters, digits, spaces and ``_-/()`` up to a colon; a value runs to the next comma, or is
    a JSON-style quoted string. A stretch that is not ``key: value`` is passed over to the next comma.
    Every character is looked at a bounded number of times (a regular expression with a repeated group
    here took seconds on 16 KB without a colon)."""
    pairs: list[tuple[str, str]] = []
    n, pos = len(line), 0
    while pos < n and len(pairs) < MAX_PARAMS:
        while pos < n and line[pos] in " \t":
            pos += 1
        start = pos
        while pos < n and (line[pos] in _KEY_CHARS or line[pos].isalnum()):
            pos += 1
        key = line[start:pos].strip()
        if pos >= n or line[pos] != ":" or not key or not (key[0].isalnum() or key[0] == "_"):
            comma = line.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        pos += 1
        while pos < n and line[pos] in " \t":
            pos += 1
        if pos < n and line[pos] == '"':
            end = pos + 1
            while end < n and line[end] != '"':
                end += 2 if line[end] == "\\" else 1
            value = line[pos : end + 1]
            pos = end + 1
            comma = line.find(",", pos)
            pos = n if comma < 0 else comma + 1
        else:
            comma = line.find(",", pos)
            end = n if comma < 0 else comma
            value = line[pos:end]
            pos = end + 1
        pairs.append((key, value))
    return pairs


def _webui(version: str, app: str) -> str:
    """Which A1111-style web UI wrote an infotext, from its ``Version:`` (and SD.Next's ``App:``):
    Forge writes ``f2.0.1v1.10.1-...``, reForge names itself, A1111 writes ``v1.10.1``."""
    low = version.lower()
    if app.strip():
        return clean_text(app, 60)
    if "reforge" in low:
        return "reForge"
    if "sd.next" in low or "sdnext" in low:
        return "SD.Next"
    if re.match(r"f\d", low):
        return "Forge"
    return "A1111"


def parse_infotext(text: str) -> Provenance:
    """A1111-style infotext: prompt lines, ``Negative prompt:`` lines, then ``Steps: 20, Seed: ...``."""
    if not isinstance(text, str) or not text.strip():
        return Provenance()
    text = text[:MAX_SIDECAR_BYTES]
    lines = text.strip().splitlines()
    params_line = ""
    if lines and re.match(r"\s*Steps:\s*\d", lines[-1]):
        params_line = lines.pop()[:MAX_PARAMS_LINE]
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    target = prompt_lines
    for line in lines:
        if line.startswith("Negative prompt:"):
            target = negative_lines
            line = line[len("Negative prompt:") :]
        target.append(line)
    if not params_line:
        return Provenance()
    params: dict[str, Any] = {}
    for key, value in infotext_params(params_line):
        value = value.strip()
        if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                value = value[1:-1]
        if len(params) < MAX_PARAMS:
            params[clean_text(key, 100)] = clean_text(value, MAX_PARAM_TEXT)
    version = str(params.pop("Version", ""))
    name = _webui(version, str(params.get("App", "")))
    prov = Provenance(
        generator=clean_text(f"{name} {version}" if version else name, 200),
        prompt=clean_text("\n".join(prompt_lines)),
        negative_prompt=clean_text("\n".join(negative_lines)),
        seed=_seed_text(params.pop("Seed", "")),
        model=clean_text(params.pop("Model", ""), 300),
        params=params,
    )
    return prov


# --- container tags ----------------------------------------------------------------------------


def from_tags(tags: dict[str, str], budget: Budget = UNLIMITED) -> Provenance:
    """Provenance from a container's metadata tags (keys compared without case)."""
    lower = {k.lower(): v for k, v in tags.items() if isinstance(v, str)}
    prov = Provenance()
    graph = loads_json(lower.get("prompt", ""))
    budget.check()
    if graph is not None:
        found = parse_comfy_prompt(graph, budget)
        found.source = "tag:prompt (ComfyUI)"
        prov.fill_from(found)
    workflow = loads_json(lower.get("workflow", ""))
    budget.check()
    if workflow is not None:
        found = parse_comfy_workflow(workflow)
        found.source = "tag:workflow"
        prov.fill_from(found)
    ours = loads_json(
        lower.get("take_reviewer", "")
    )  # a retry's outputs: written by ComfyUI from extra_pnginfo
    if isinstance(ours, dict):
        prov.params["retry_of"] = _scalar_params(
            {k: ours[k] for k in ("parent", "parent_hash", "project") if k in ours}
        )
    comment = lower.get("comment", "") or lower.get("description", "")
    if comment:
        data = loads_json(comment)
        budget.check()
        if isinstance(data, dict):
            found = from_json_object(data, budget)
            found.source = "tag:comment (JSON)"
            prov.fill_from(found)
        else:
            found = parse_infotext(comment)
            found.source = "tag:comment (infotext)"
            prov.fill_from(found)
    return prov


def from_json_object(data: dict[str, Any], budget: Budget = UNLIMITED) -> Provenance:
    """A JSON sidecar or comment: a ComfyUI graph, a VHS ``{prompt, workflow}`` pair, or flat fields."""
    prov = Provenance()
    if graph_nodes(data, budget):
        return parse_comfy_prompt(data, budget)
    for key in ("prompt", "workflow"):
        value = data.get(key)
        inner = loads_json(value) if isinstance(value, str) else value
        budget.check()
        if key == "prompt" and graph_nodes(inner, budget):
            prov.fill_from(parse_comfy_prompt(inner, budget))
        elif key == "workflow" and isinstance(inner, dict):
            prov.fill_from(parse_comfy_workflow(inner))
    flat = Provenance(
        generator=clean_text(data.get("generator") or data.get("software") or data.get("tool") or "", 200),
        model=clean_text(data.get("model") or data.get("model_name") or data.get("checkpoint") or "", 300),
        prompt=clean_text(_first_str(data, ("prompt", "positive_prompt", "text", "caption"))),
        negative_prompt=clean_text(_first_str(data, ("negative_prompt", "negative"))),
        seed=_seed_text(data.get("seed")),
        shot=clean_text(_first_str(data, ("shot", "shot_code", "shot_id")), 100),
    )
    skip = {
        "generator",
        "software",
        "tool",
        "model",
        "model_name",
        "checkpoint",
        "prompt",
        "positive_prompt",
        "text",
        "caption",
        "negative_prompt",
        "negative",
        "seed",
        "shot",
        "shot_code",
        "shot_id",
        "workflow",
    }
    flat.params = _scalar_params(data, skip)
    prov.fill_from(flat)
    return prov


def _first_str(data: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


# --- sidecars ----------------------------------------------------------------------------------


def _read_limited(path: Path, limit: int = MAX_SIDECAR_BYTES) -> bytes | None:
    try:
        if not path.is_file() or path.stat().st_size > limit:
            return None
        return path.read_bytes()
    except OSError:
        return None


def png_text_chunks(data: bytes, budget: Budget = UNLIMITED) -> dict[str, str]:
    """The tEXt, zTXt and iTXt chunks of a PNG, decoded, each bounded; {} for anything else."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return {}
    out: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data) and len(out) < 64:
        budget.check()
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if length > MAX_PNG_CHUNK or len(body) < length:
            break
        try:
            if kind == b"tEXt":
                key, _, value = body.partition(b"\0")
                out[key.decode("latin-1")] = value.decode("latin-1")
            elif kind == b"zTXt":
                key, _, rest = body.partition(b"\0")
                out[key.decode("latin-1")] = _inflate(rest[1:]).decode("latin-1")
            elif kind == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, _method = rest[0], rest[1]
                _lang, _, rest = rest[2:].partition(b"\0")
                _translated, _, text = rest.partition(b"\0")
                raw = _inflate(text) if compressed else text
                out[key.decode("latin-1")] = raw.decode("utf-8", "replace")
            elif kind == b"IEND":
                break
        except (zlib.error, IndexError, UnicodeDecodeError):
            continue
    return out


def _inflate(data: bytes) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, MAX_SIDECAR_BYTES)
    return out


def sidecars(video: Path) -> list[Path]:
    """The same-stem sidecar files next to ``video`` that exist."""
    found = []
    for suffix in (".json", ".txt", ".png"):
        for candidate in (video.with_suffix(suffix), video.with_name(video.name + suffix)):
            if candidate != video and candidate not in found and candidate.is_file():
                found.append(candidate)
    return found


def from_sidecar(path: Path, budget: Budget = UNLIMITED) -> Provenance:
    data = _read_limited(path)
    if data is None:
        return Provenance()
    suffix = path.suffix.lower()
    prov = Provenance()
    budget.check()
    if suffix == ".json":
        obj = loads_json(data.decode("utf-8", "replace"))
        budget.check()
        if isinstance(obj, dict):
            prov = from_json_object(obj, budget)
    elif suffix == ".txt":
        text = data.decode("utf-8", "replace")
        prov = parse_infotext(text)
        if prov.empty() and text.strip():
            prov = Provenance(prompt=clean_text(text))
    elif suffix == ".png":
        chunks = png_text_chunks(data, budget)
        prov = from_tags(chunks, budget)
        if "parameters" in chunks:
            prov.fill_from(parse_infotext(chunks["parameters"]))
    if not prov.empty():
        prov.source = f"sidecar {suffix}"
    return prov


# --- file names --------------------------------------------------------------------------------

# LTX-Video's inference script names its outputs
# {base}_{prompt slug}_{seed}_{height}x{width}x{frames}_{index}{ext}.
_LTX_NAME = re.compile(
    r"^(?P<base>.*?)_(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)_(?P<seed>\d+)_(?P<h>\d+)x(?P<w>\d+)x(?P<n>\d+)_(?P<i>\d+)$"
)


def from_filename(path: Path) -> Provenance:
    match = _LTX_NAME.match(path.stem)
    if not match:
        return Provenance()
    return Provenance(
        generator="LTX-Video",
        prompt=match["slug"].replace("-", " "),
        seed=match["seed"],
        params={
            "height": int(match["h"]),
            "width": int(match["w"]),
            "num_frames": int(match["n"]),
            "prompt_from": "file name (shortened)",
        },
        source="file name",
    )


def read_provenance(video: Path, tags: dict[str, str], budget: Budget = UNLIMITED) -> Provenance:
    """All the provenance known for ``video``: container tags, then sidecars, then the file name.

    Raises ``OverBudget`` when ``budget`` runs out on the way."""
    prov = from_tags(tags, budget)
    for sidecar in sidecars(video):
        prov.fill_from(from_sidecar(sidecar, budget))
        budget.check()
    prov.fill_from(from_filename(video))
    prov.params = json_value(prov.params)
    return prov
