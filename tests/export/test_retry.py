"""Retry lists: ComfyUI graphs that keep everything but the seeds and the edits, a sheet for the takes
without a graph, and ``--submit`` against a small server that answers as ComfyUI's ``/prompt`` does."""

from __future__ import annotations

import copy
import csv
import json
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from reviewer.ingest.ingest import Ingestor
from reviewer.review.decisions import Decision, decide
from reviewer.store.db import open_project
from tests.conftest import ClipFactory, place
from tests.ingest.test_lineage import graph_with, i2v_graph
from tests.ingest.test_provenance import TWO_STAGE

# A Seed node feeding the sampler through a link (rgthree's Seed, a PrimitiveNode in API form)
LINKED_SEED = {
    **i2v_graph("LTX_00001_.png"),
    "90": {"class_type": "Seed (rgthree)", "inputs": {"seed": 4242}},
}
LINKED_SEED["11"] = copy.deepcopy(LINKED_SEED["11"])
LINKED_SEED["11"]["inputs"]["seed"] = ["90", 0]


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Every path where two JSON values differ (a structural diff)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}/{key}")
            else:
                out += differences(a[key], b[key], f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}/{i}")
        ]
    return [] if a == b and type(a) is type(b) else [path]


def is_api_graph(graph: Any) -> bool:
    """As ComfyUI's validate_prompt sees the shape: nodes with a class and inputs; links to nodes there."""
    if not isinstance(graph, dict) or not graph:
        return False
    for node in graph.values():
        if not isinstance(node.get("class_type"), str) or not isinstance(node.get("inputs"), dict):
            return False
        for value in node["inputs"].values():
            is_link = isinstance(value, list) and len(value) == 2 and isinstance(value[1], int)
            if is_link and str(value[0]) not in graph:
                return False
    return True


class ComfyStandIn(BaseHTTPRequestHandler):
    """Answers ``POST /prompt`` as ComfyUI's server.py does: 200 with a prompt id, or 400 with its error
    JSON; checks the request's shape on the way and keeps what it got."""

    received: ClassVar[list[dict[str, Any]]] = []
    known_classes: ClassVar[set[str]] = set()

    def do_POST(self) -> None:
        assert self.path == "/prompt", self.path
        assert self.headers["Content-Type"] == "application/json"
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert set(body) == {"prompt", "client_id", "extra_data"}
        uuid.UUID(body["client_id"])
        type(self).received.append(body)
        graph = body["prompt"]
        missing = [k for k, n in graph.items() if n["class_type"] not in self.known_classes]
        if not is_api_graph(graph):
            self._answer(400, {"error": {"type": "invalid_prompt", "message": "Cannot execute because a node is "
                               "missing the class_type property.", "details": "", "extra_info": {}},
                               "node_errors": {}})  # fmt: skip
        elif missing:
            node = missing[0]
            self._answer(400, {"error": {"type": "invalid_prompt", "message": "Cannot execute because node "
                               f"{graph[node]['class_type']} does not exist.", "details": f"Node ID '#{node}'",
                               "extra_info": {}}, "node_errors": {}})  # fmt: skip
        else:
            self._answer(
                200, {"prompt_id": str(uuid.uuid4()), "number": len(self.received), "node_errors": {}}
            )

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def comfy() -> Iterator[str]:
    ComfyStandIn.received = []
    # ComfyUI's core nodes these graphs use; not VideoHelperSuite's or rgthree's (not installed there)
    core = {"VAELoader", "LoadImage", "CLIPLoader", "SaveVideo", "CreateVideo", "VAEDecode", "KSampler"}
    ComfyStandIn.known_classes = core | {
        n["class_type"] for g in (graph_with(), TWO_STAGE) for n in g.values()
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), ComfyStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def rejected(tmp_path: Path, clip: ClipFactory) -> Path:
    """A project whose rejects at Triage are a ComfyUI LTX take, a two-stage Wan take, one with a linked
    seed node, one with only the UI workflow, and a downloaded take with a sidecar; one more is kept."""
    out = tmp_path / "out" / "SH010"
    two_stage = {**TWO_STAGE, "50": {"class_type": "SaveVideo", "inputs": {"filename_prefix": "wan/SH010",
                 "format": "auto", "codec": "auto", "video": ["49", 0]}}, "49": {"class_type": "CreateVideo",
                 "inputs": {"fps": 16, "images": ["48", 0]}}, "48": {"class_type": "VAEDecode",
                 "inputs": {"samples": ["20:31", 0], "vae": ["4", 0]}}, "4": {"class_type": "VAELoader",
                 "inputs": {"vae_name": "wan_2.1_vae.safetensors"}}, "5": {"class_type": "LoadImage",
                 "inputs": {"image": "board.png"}}, "6": {"class_type": "CLIPLoader", "inputs": {
                 "clip_name": "umt5_xxl_fp8_e4m3fn_scaled.safetensors", "type": "wan"}}}  # fmt: skip
    files = {
        "LTX_00001_.mp4": {"prompt": json.dumps(graph_with(seed=11))},
        "WAN_00001_.mp4": {"prompt": json.dumps(two_stage)},
        "WAN_00002_.mp4": {"prompt": json.dumps(LINKED_SEED)},
        "UI_00001_.mp4": {"workflow": json.dumps({"nodes": [{"id": 6, "type": "CLIPTextEncode",
                          "widgets_values": ["a truck"]}, {"id": 3, "type": "KSampler", "widgets_values": [5]}]})},
        "sora_truck.mp4": {},
        "LTX_00002_.mp4": {"prompt": json.dumps(graph_with(seed=12))},
    }  # fmt: skip
    out.mkdir(parents=True)
    (out / "sora_truck.json").write_text(json.dumps({"generator": "Sora", "model": "sora-2",
                                                     "prompt": "=HYPERLINK(\"x\") a truck, wheels", "seed": 5}))  # fmt: skip
    project_file = tmp_path / "p.trproj"
    with open_project(project_file) as project:
        for i, (name, tags) in enumerate(files.items()):  # one by one: LTX_00001_ is take 1, WAN_00001_ 2...
            place(clip(".mp4", seed=70 + i, tags=tags), out / name)
            Ingestor(project, workers=0).run([tmp_path / "out"], filmstrips=False)
        decide(project, [1, 2, 3, 4, 5], Decision(verdict="reject", tags_added=["morphing"]))
        decide(project, 1, Decision(note="the truck grows a sixth wheel at 2 s", frame_in=48))
        decide(project, 6, Decision(verdict="keep"))
    return project_file


def reviewer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer", *args], capture_output=True, text=True)


def test_a_retry_list_keeps_everything_but_seeds_and_edits(
    tmp_path: Path, rejected: Path, clip: ClipFactory
) -> None:
    out = tmp_path / "retry"
    done = reviewer("retry", str(rejected), "--stage", "Triage", "--status", "rejected", "--shot", "SH010",
                    "--seeds", "3", "-o", str(out), "--negative-add", "morphing, extra wheels", "--seed", "1000")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "9 ComfyUI graphs for 3 takes" in done.stdout and "2 takes without a ComfyUI graph" in done.stdout
    manifest = json.loads((out / "retry.json").read_text())
    assert [g["file"] for g in manifest["graphs"]] == [
        f"tr{t}-v{n}.json" for t in (1, 2, 3) for n in (1, 2, 3)
    ]
    first = manifest["graphs"][0]
    assert first["parent"]["tags"] == ["morphing"]
    assert first["parent"]["notes"] == ["the truck grows a sixth wheel at 2 s"]
    assert first["parent"]["verdict"] == "reject" and first["parent"]["shot"] == "SH010"

    originals = {1: graph_with(seed=11), 3: LINKED_SEED}
    seeds: list[int] = []
    for n in (1, 2, 3):
        graph = json.loads((out / f"tr1-v{n}.json").read_text())
        assert is_api_graph(graph)
        assert differences(originals[1], graph) == [
            "/7/inputs/text",
            "/72/inputs/noise_seed",
            "/80/inputs/filename_prefix",
        ]
        assert graph["7"]["inputs"]["text"] == "low quality, worst quality, deformed, morphing, extra wheels"
        assert graph["80"]["inputs"]["filename_prefix"] == f"video/tr1-v{n}-LTX"
        seeds.append(graph["72"]["inputs"]["noise_seed"])
    assert seeds == [1000, 1001, 1002]  # from --seed, one more each
    two = json.loads((out / "tr2-v1.json").read_text())
    # both stages get new seeds (RandomNoise nodes); the negative of the first stage is WanImageToVideo's
    # output 1, text node "3"
    assert sorted(p for p in differences(json.loads(json.dumps({**TWO_STAGE})), two) if not p.startswith(("/4", "/5", "/6", "/48", "/49", "/50"))) == [
        "/13/inputs/noise_seed", "/20:32/inputs/noise_seed", "/3/inputs/text"]  # fmt: skip
    linked = json.loads((out / "tr3-v1.json").read_text())
    # the seed lives in the linked Seed node; the blank negative gets the words
    assert differences(originals[3], linked) == [
        "/3/inputs/text",
        "/30/inputs/filename_prefix",
        "/90/inputs/seed",
    ]
    assert linked["3"]["inputs"]["text"] == "morphing, extra wheels" and linked["11"]["inputs"]["seed"] == [
        "90",
        0,
    ]

    with open(out / "retry_sheet.csv", newline="", encoding="utf-8") as f:
        sheet = {row["name"]: row for row in csv.DictReader(f)}
    assert set(sheet) == {"UI_00001_.mp4", "sora_truck.mp4"}
    sora = sheet["sora_truck.mp4"]
    assert (sora["generator"], sora["model"], sora["seed"], sora["tags"]) == (
        "Sora",
        "sora-2",
        "5",
        "morphing",
    )
    assert sora["prompt"].startswith("'=HYPERLINK")  # a prompt cannot run as a spreadsheet formula
    assert sora["suggested_negative_add"] == "morphing, extra wheels"
    assert "UI workflow" in sheet["UI_00001_.mp4"]["why_no_graph"]


def test_submit_posts_each_graph_and_reports_ids_and_refusals(
    tmp_path: Path, rejected: Path, comfy: str
) -> None:
    out = tmp_path / "retry"
    done = reviewer("retry", str(rejected), "1", "2", "3", "--seeds", "2", "-o", str(out), "--submit", comfy)
    # take 3's graph uses VideoHelperSuite and rgthree nodes this server does not have: refused, said why
    assert done.returncode == 1
    assert (
        done.stdout.count("queued as prompt") == 4
        and "4 queued on" in done.stdout
        and "2 refused" in done.stdout
    )
    assert "tr3-v1.json: refused by the server: Cannot execute because node" in done.stderr
    assert "Node ID '#" in done.stderr
    assert len(ComfyStandIn.received) == 6
    body = ComfyStandIn.received[0]
    assert body["prompt"] == json.loads((out / "tr1-v1.json").read_text())
    ours = body["extra_data"]["extra_pnginfo"]["take_reviewer"]
    assert ours["parent"] == 1 and ours["tags"] == ["morphing"] and len(ours["parent_hash"]) > 16
    assert len({b["client_id"] for b in ComfyStandIn.received}) == 1  # one client for the run
    manifest = json.loads((out / "retry.json").read_text())
    assert manifest["submitted_to"] == comfy
    assert [bool(g["prompt_id"]) for g in manifest["graphs"]] == [True, True, True, True, False, False]
    assert manifest["graphs"][4]["refused"].startswith("Cannot execute because node")


def test_submit_to_a_server_that_is_not_there_says_so(tmp_path: Path, rejected: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    done = reviewer(
        "retry", str(rejected), "1", "-o", str(tmp_path / "r"), "--submit", f"http://127.0.0.1:{port}"
    )
    assert (
        done.returncode == 1 and f"Cannot reach the ComfyUI server at http://127.0.0.1:{port}" in done.stderr
    )
    assert (tmp_path / "r" / "tr1-v1.json").is_file()  # the list is written all the same
    wrong = reviewer("retry", str(rejected), "1", "-o", str(tmp_path / "r"), "--submit", "ftp://host")
    assert wrong.returncode == 1 and "Not a ComfyUI server address" in wrong.stderr
    nothing = reviewer("retry", str(rejected), "-o", str(tmp_path / "r"))
    assert nothing.returncode == 1 and "Say which takes" in nothing.stderr


def test_the_outputs_of_a_retry_come_back_as_its_children(
    tmp_path: Path, rejected: Path, clip: ClipFactory
) -> None:
    """What ComfyUI writes for a retry graph (its prefix, our extra_pnginfo as a tag) is the take's child."""
    out = tmp_path / "retry"
    assert reviewer("retry", str(rejected), "1", "-o", str(out)).returncode == 0
    graph = json.loads((out / "tr1-v1.json").read_text())
    prefix = graph["80"]["inputs"]["filename_prefix"]
    generated = tmp_path / "ComfyUI" / "output" / f"{prefix}_00001_.mp4"
    place(clip(".mp4", seed=90, tags={"prompt": json.dumps(graph)}), generated)
    with open_project(rejected) as project:
        Ingestor(project, workers=0).run([generated.parent], filmstrips=False)
    shown = reviewer("lineage", str(rejected), "1")
    assert f"child: 7 {generated.name}" in shown.stdout and "differs: seed" in shown.stdout


def test_a_refusal_names_each_node_and_its_error() -> None:
    from reviewer.export.retry import refusal_text

    # ComfyUI's answer when an output's inputs fail validation (a model file not on that server)
    body = {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                      "details": "", "extra_info": {}},
            "node_errors": {"44": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
                                               "details": "ckpt_name: 'ltx-video-2b-v0.9.5.safetensors' not in []",
                                               "extra_info": {}}],
                                   "dependent_outputs": ["80"], "class_type": "CheckpointLoaderSimple"}}}  # fmt: skip
    assert refusal_text(body) == (
        "Prompt outputs failed validation; node 44 (CheckpointLoaderSimple): Value not in list "
        "(ckpt_name: 'ltx-video-2b-v0.9.5.safetensors' not in [])"
    )
    assert refusal_text("not json") == "not json" and refusal_text({}) == "refused, without a reason"
