"""Lineage from real files: parents named by ComfyUI and VideoHelperSuite graphs, by our retry prefix and
metadata, by sidecars and by hand; prompt families; ``takes --json`` and ``reviewer lineage``."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reviewer.ingest.ingest import Ingestor
from reviewer.review import dashboard
from reviewer.review.decisions import Decision, decide
from reviewer.review.family import change_keep_rates, family_keep_rates, family_of
from reviewer.store import lineage
from reviewer.store import models as m
from reviewer.store.db import Project, open_project
from tests.conftest import ClipFactory, place
from tests.ingest.test_provenance import LTXV

PROMPT = LTXV["6"]["inputs"]["text"]


def graph_with(prompt: str = PROMPT, seed: int = 1, **extra: dict[str, Any]) -> dict[str, Any]:
    g = copy.deepcopy(LTXV)
    g["6"]["inputs"]["text"] = prompt
    g["72"]["inputs"]["noise_seed"] = seed
    g["78"] = {"class_type": "VAEDecode", "inputs": {"samples": ["72", 0], "vae": ["44", 2]}}
    g["79"] = {"class_type": "CreateVideo", "inputs": {"images": ["78", 0], "fps": 25}}
    g["80"] = {"class_type": "SaveVideo", "inputs": {"filename_prefix": "video/LTX", "format": "auto",
               "codec": "h264", "video": ["79", 0]}}  # fmt: skip
    g.update(extra)
    return g


# Wan image-to-video from the first frame of another take, the way ComfyUI saves it: LoadImage names the
# file in its input folder, with an " [output]" annotation when it was picked from the outputs.
def i2v_graph(image: str) -> dict[str, Any]:
    return {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "wan2.1_i2v_480p_14B_fp16.safetensors"}},
        "4": {"class_type": "VAELoader", "inputs": {"vae_name": "wan_2.1_vae.safetensors"}},
        "6": {"class_type": "CLIPLoader", "inputs": {"clip_name": "umt5_xxl_fp8_e4m3fn_scaled.safetensors", "type": "wan"}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["4", 0]}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "the truck drives towards camera", "clip": ["6", 0]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["6", 0]}},
        "5": {"class_type": "LoadImage", "inputs": {"image": image, "upload": "image"}},
        "21": {"class_type": "WanImageToVideo", "inputs": {"positive": ["2", 0], "negative": ["3", 0],
               "vae": ["4", 0], "width": 832, "height": 480, "length": 81, "batch_size": 1, "start_image": ["5", 0]}},
        "11": {"class_type": "KSampler", "inputs": {"seed": 77, "steps": 20, "cfg": 6.0, "sampler_name": "uni_pc",
               "scheduler": "simple", "denoise": 1.0, "model": ["1", 0], "positive": ["21", 0],
               "negative": ["21", 1], "latent_image": ["21", 2]}},
        "30": {"class_type": "VHS_VideoCombine", "inputs": {"frame_rate": 16, "loop_count": 0,
               "filename_prefix": "WAN", "format": "video/h264-mp4", "save_metadata": True, "images": ["8", 0]}},
    }  # fmt: skip


def names(project: Project) -> dict[str, int]:
    with project.sessions() as session:
        return {name: tid for tid, name in session.execute(select(m.Take.id, m.Take.name))}


def parents(project: Project) -> dict[str, tuple[str | None, str]]:
    by_id = {v: k for k, v in names(project).items()}
    with project.sessions() as session:
        return {
            by_id[r.take_id]: (by_id.get(r.parent_id) if r.parent_id else None, r.basis)
            for r in session.scalars(select(m.TakeLineage))
        }


def test_parents_from_graphs_retry_names_sidecars_and_by_hand(
    project: Project, tmp_path: Path, clip: ClipFactory
) -> None:
    out = tmp_path / "ComfyUI" / "output"
    place(clip(".mp4", seed=1, tags={"prompt": json.dumps(graph_with(seed=1))}), out / "LTX_00001_.mp4")
    # VideoHelperSuite's first frame beside it (a still PNG: not a take, only a file another graph loads)
    (out / "LTX_00001_.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    Ingestor(project, workers=0).run([out], filmstrips=False)
    first = names(project)["LTX_00001_.mp4"]
    place(clip(".mp4", seed=2, tags={"prompt": json.dumps(i2v_graph("LTX_00001_.png [output]"))}),
          out / "WAN_00001_.mp4")  # fmt: skip
    # an extend with VideoHelperSuite's loader, the graph in an older VHS single JSON comment
    extend = {**i2v_graph("x.png"), "5": {"class_type": "VHS_LoadVideo", "inputs": {
        "video": "WAN_00001_.mp4", "force_rate": 0, "frame_load_cap": 0, "skip_first_frames": 65}}}  # fmt: skip
    place(
        clip(".mp4", seed=3, tags={"comment": json.dumps({"prompt": json.dumps(extend)})}),
        out / "EXT_00001_.mp4",
    )
    # a retry's output: our prefix in its name (ComfyUI appends its counter)
    place(
        clip(".mp4", seed=4, tags={"prompt": json.dumps(graph_with(seed=5))}),
        out / "video" / f"tr{first}-v1-LTX_00001_.mp4",
    )
    # a camera clip whose sidecar names its parent
    place(clip(".mp4", seed=6), out / "plate_b.mp4")
    (out / "plate_b.json").write_text(json.dumps({"parent": "EXT_00001_.mp4", "shot": "SH020"}))
    # a graph naming a file that is not in the project
    place(
        clip(".mp4", seed=7, tags={"prompt": json.dumps(i2v_graph("reference_board.png"))}),
        out / "WAN_00002_.mp4",
    )
    Ingestor(project, workers=0).run([out], filmstrips=False)
    ids = names(project)
    assert parents(project) == {
        "LTX_00001_.mp4": (None, ""),
        "WAN_00001_.mp4": ("LTX_00001_.mp4", "graph"),  # its first frame, loaded by LoadImage
        "EXT_00001_.mp4": ("WAN_00001_.mp4", "graph"),  # VHS_LoadVideo
        f"tr{first}-v1-LTX_00001_.mp4": ("LTX_00001_.mp4", "retry"),  # the prefix names the take
        "plate_b.mp4": ("EXT_00001_.mp4", "sidecar"),
        "WAN_00002_.mp4": (None, "graph"),  # named, kept to find later
    }
    with project.sessions() as session:
        assert session.get(m.TakeLineage, ids["WAN_00002_.mp4"]).ref == "reference_board.png"  # type: ignore[union-attr]

    # by hand: it stands over what the file says, and a circle is refused
    with project.session() as session:
        lineage.set_parent(session, ids["EXT_00001_.mp4"], ids["LTX_00001_.mp4"], "ana")
    with project.session() as session:
        try:
            lineage.set_parent(session, ids["LTX_00001_.mp4"], ids["plate_b.mp4"], "ana")
        except ValueError as exc:
            assert "descends" in str(exc)
        else:
            raise AssertionError("a circle of parents was accepted")
    Ingestor(project, workers=0).run([out], filmstrips=False)  # an ingest again leaves it
    assert parents(project)["EXT_00001_.mp4"] == ("LTX_00001_.mp4", "hand")
    with project.session() as session:
        lineage.set_parent(session, ids["EXT_00001_.mp4"], None, "ana")  # cleared: the graph's again
    assert parents(project)["EXT_00001_.mp4"] == ("WAN_00001_.mp4", "graph")


def test_a_retry_output_arriving_before_its_parent_finds_it_later(tmp_path: Path, clip: ClipFactory) -> None:
    project = open_project(tmp_path / "p.trproj")
    try:
        first, later = tmp_path / "a", tmp_path / "b"
        meta = {"parent_hash": "", "parent": 0}
        parent_clip = clip(".mp4", seed=11, tags={"prompt": json.dumps(graph_with(seed=11))})
        place(parent_clip, later / "LTX_00007_.mp4")
        from reviewer.ingest.hashing import content_hash

        meta["parent_hash"] = content_hash(parent_clip)
        tags = {"prompt": json.dumps(graph_with(seed=12)), "take_reviewer": json.dumps(meta)}
        place(clip(".mp4", seed=12, tags=tags), first / "renamed_by_someone.mp4")
        Ingestor(project, workers=0).run([first], filmstrips=False)
        assert parents(project) == {"renamed_by_someone.mp4": (None, "retry")}
        Ingestor(project, workers=0).run([later], filmstrips=False)
        assert parents(project)["renamed_by_someone.mp4"] == (
            "LTX_00007_.mp4",
            "retry",
        )  # by its content hash
    finally:
        project.close()


def test_families_are_one_prompt_over_seeds_and_small_edits(
    project: Project, tmp_path: Path, clip: ClipFactory
) -> None:
    out = tmp_path / "out"
    prompts = {
        "a.mp4": (PROMPT, 1),
        "b.mp4": (PROMPT, 2),
        "c.mp4": (PROMPT.upper() + "!", 3),  # case and punctuation set aside
        "d.mp4": (PROMPT + ", slow motion", 4),  # a small edit
        "e.mp4": ("an astronaut eating noodles in a neon kitchen, close up", 5),
    }
    for name, (prompt, seed) in prompts.items():
        place(clip(".mp4", seed=20 + seed, tags={"prompt": json.dumps(graph_with(prompt, seed))}), out / name)
    place(clip(".mp4", seed=30), out / "camera.mp4")  # no prompt: no family
    Ingestor(project, workers=0).run([out], filmstrips=False)
    ids = names(project)
    with project.sessions() as session:
        fam = {n: session.get(m.TakeLineage, t).family_id for n, t in ids.items()}  # type: ignore[union-attr]
    assert fam["a.mp4"] == fam["b.mp4"] == fam["c.mp4"] == fam["d.mp4"] is not None
    assert fam["e.mp4"] not in (None, fam["a.mp4"]) and fam["camera.mp4"] is None

    decide(project, [ids["a.mp4"], ids["d.mp4"]], Decision(verdict="keep"))
    decide(project, [ids["b.mp4"], ids["c.mp4"], ids["e.mp4"]], Decision(verdict="reject"))
    with project.sessions() as session:
        view = family_of(session, ids["a.mp4"])
        assert (view.size, view.kept, view.rejected) == (4, 1 + 1, 2)
        assert [s.name for s in view.siblings] == ["b.mp4", "c.mp4", "d.mp4"]
        d = view.siblings[2]
        assert [p.text for p in d.prompt_diff if p.changed] == ["dawn, slow motion"]  # word by word
        assert d.differs == ["seed", "prompt"] and d.same_graph  # the same graph, other seed and words
        rates = family_keep_rates(session)
        assert [(r.takes, round(r.kept, 2)) for r in rates] == [(4, 0.5), (1, 0.0)]


def test_which_change_helped_compares_children_with_their_parents(
    project: Project, tmp_path: Path, clip: ClipFactory
) -> None:
    out = tmp_path / "out"
    place(clip(".mp4", seed=40, tags={"prompt": json.dumps(graph_with(seed=1))}), out / "LTX_00001_.mp4")
    negative = graph_with(seed=9)
    negative["7"]["inputs"]["text"] += ", morphing"
    for i, g in enumerate([graph_with(seed=2), graph_with(seed=3), negative]):
        place(clip(".mp4", seed=41 + i, tags={"prompt": json.dumps(g)}), out / f"tr1-v{i + 1}-LTX_00001_.mp4")
    Ingestor(project, workers=0).run([out], filmstrips=False)
    ids = names(project)
    decide(project, ids["LTX_00001_.mp4"], Decision(verdict="reject"))
    decide(project, [ids["tr1-v1-LTX_00001_.mp4"], ids["tr1-v2-LTX_00001_.mp4"]], Decision(verdict="reject"))
    decide(project, ids["tr1-v3-LTX_00001_.mp4"], Decision(verdict="keep"))
    with project.sessions() as session:
        rates = {r.what: (r.takes, r.kept) for r in change_keep_rates(session)}
        board = dashboard.load(session)
    assert rates == {"seed": (3, 1 / 3), "negative prompt": (1, 1.0), "(their parents)": (1, 0.0)}
    assert board.keep_rate_change[:2] == [("seed", 3, 1 / 3), ("negative prompt", 1, 1.0)]  # the dashboard's
    assert board.keep_rate_family == [(PROMPT, 4, 0.25)]  # the one prompt family: 1 of 4 kept


def test_takes_json_and_the_lineage_command(tmp_path: Path, clip: ClipFactory) -> None:
    out = tmp_path / "out"
    place(clip(".mp4", seed=50, tags={"prompt": json.dumps(graph_with(seed=1))}), out / "LTX_00001_.mp4")
    place(
        clip(".mp4", seed=51, tags={"prompt": json.dumps(i2v_graph("LTX_00001_.png"))}),
        out / "WAN_00001_.mp4",
    )
    project_file = tmp_path / "p.trproj"
    run = [sys.executable, "-m", "reviewer"]
    subprocess.run([*run, "ingest", str(project_file), str(out), "--workers", "0", "--no-filmstrips"], check=True,
                   capture_output=True)  # fmt: skip
    listed = subprocess.run(
        [*run, "takes", str(project_file), "--json"], capture_output=True, text=True, check=True
    )
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["WAN_00001_.mp4"]["parent"] == {"id": rows["LTX_00001_.mp4"]["id"], "basis": "graph",
                                                "ref": "LTX_00001_.png"}  # fmt: skip
    assert rows["LTX_00001_.mp4"]["parent"] is None
    assert (
        rows["LTX_00001_.mp4"]["family"]["size"] == 1 and rows["LTX_00001_.mp4"]["family"]["label"] == PROMPT
    )
    shown = subprocess.run(
        [*run, "lineage", str(project_file), "LTX_00001_.mp4"], capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert "child: 2 WAN_00001_.mp4" in shown.stdout
    hand = subprocess.run([*run, "lineage", str(project_file), "1", "--parent", "2", "--json"], capture_output=True,
                          text=True)  # fmt: skip
    assert hand.returncode == 1 and "descends" in hand.stderr


def test_a_project_from_before_lineage_gets_it_in_the_background(
    project: Project, tmp_path: Path, clip: ClipFactory
) -> None:
    from sqlalchemy import delete

    from reviewer.review.family import load_family

    out = tmp_path / "out"
    for k in range(3):
        place(clip(".mp4", seed=60 + k, tags={"prompt": json.dumps(graph_with(seed=k))}), out / f"t{k}.mp4")
    Ingestor(project, workers=0).run([out], filmstrips=False)
    with project.session() as session:  # as a project of the schema before lineage leaves it
        session.execute(delete(m.TakeLineage))
        session.execute(delete(m.Family))
    with project.sessions() as session:
        assert lineage.missing(session)
    view = load_family(project, 2)  # the family view at once, for this take alone
    assert view.family_id is not None and view.siblings == []
    assert lineage.backfill_all(project) == 2  # the other two, in the background
    with project.sessions() as session:
        assert not lineage.missing(session)
        assert [s.name for s in family_of(session, 2).siblings] == ["t0.mp4", "t2.mp4"]
