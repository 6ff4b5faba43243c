"""The demo project: a small generated-ad production to try the tool on, written in under a minute.

Eight shots of a pickup-truck spot, twelve takes each, from four made-up generators at several sizes,
frame rates and codecs (H.264, HEVC 10-bit, VP9, AV1, ProRes, MJPEG), some with sound. Provenance
arrives every way real takes bring it (ComfyUI tags, a VideoHelperSuite JSON comment, JSON and A1111
sidecars, LTX-Video file names), and some takes carry the failures reviewers reject: a frozen
stretch, black frames, flicker, a hard cut, a near-duplicate of another take. Two unreadable files
sit in an ``_incoming`` folder so the problems list is not empty. A first pass of triage by two
reviewers is already in the log.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from sqlalchemy import select

from reviewer.ingest.ingest import Ingestor
from reviewer.media.synth import ClipSpec, Defect, write_clip
from reviewer.review.decisions import Decision, decide
from reviewer.review.shots import set_hero
from reviewer.store import models as m
from reviewer.store.db import DEFAULT_PROJECT_FILE, open_project

SHOTS = [
    ("SH010", "Dawn, wide: the desert road, sun rising behind the mesa"),
    ("SH020", "The red pickup enters frame left, dust trail"),
    ("SH030", "Close on the grille, chrome catching the light"),
    ("SH040", "Driver's hands on the wheel, wedding ring"),
    ("SH050", "Drone shot following the truck along the canyon"),
    ("SH060", "Truck stops at the overlook; door opens"),
    ("SH070", "The driver looks out over the valley, golden hour"),
    ("SH080", "Pack shot: truck and logo, tagline space top right"),
]
TARGET_FRAMES = [96, 48, 36, 60, 120, 72, 96, 108]  # the board's lengths at 24 fps: 26 s in all
MODELS = [
    ("ComfyUI", "wan2.2_t2v_14B_fp8.safetensors"),
    ("ComfyUI", "hunyuanvideo_t2v_720p_bf16.safetensors"),
    ("LTX-Video", "ltxv-13b-0.9.7-dev"),
    ("A1111", "cogvideox-5b"),
]
NEGATIVE = "blurry, morphing, extra fingers, distorted text, watermark"
FORMATS = [  # codec, suffix, width, height, fps, pix_fmt
    ("h264", ".mp4", 640, 360, Fraction(24), None),
    ("h264", ".mp4", 768, 432, Fraction(24000, 1001), None),
    ("hevc", ".mkv", 640, 360, Fraction(24), "yuv420p10le"),
    ("vp9", ".webm", 512, 288, Fraction(25), None),
    ("h264", ".mp4", 480, 480, Fraction(16), None),
    ("av1", ".mkv", 512, 288, Fraction(24), None),
    ("h264", ".mp4", 640, 360, Fraction(30), None),
    ("prores", ".mov", 480, 270, Fraction(24), None),
    ("h264", ".mp4", 640, 360, Fraction(24), None),
    ("mjpeg", ".avi", 480, 270, Fraction(25), None),
    ("hevc", ".mp4", 640, 360, Fraction(24), None),
    ("h264", ".mp4", 360, 640, Fraction(24), None),
]
DEFECTS = {3: "freeze", 5: "black", 7: "flicker", 9: "cut"}
DUPLICATE_OF = {11: 0}  # take 11 of each shot re-encodes take 0 at another size and codec


@dataclass
class DemoTake:
    path: Path
    spec: ClipSpec
    sidecar: tuple[str, str] | None  # (suffix, text)


def _comfy_graph(
    prompt: str, seed: int, model: str, width: int, height: int, frames: int
) -> dict[str, object]:
    return {
        "3": {"class_type": "KSampler", "inputs": {
            "seed": seed, "steps": 30, "cfg": 6.0, "sampler_name": "uni_pc", "scheduler": "simple",
            "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "4": {"class_type": "UNETLoader", "inputs": {"unet_name": model, "weight_dtype": "fp8_e4m3fn"}},
        "5": {"class_type": "EmptyHunyuanLatentVideo", "inputs": {
            "width": width, "height": height, "length": frames, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt, "clip": ["8", 0]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": NEGATIVE, "clip": ["8", 0]}},
        "8": {"class_type": "CLIPLoader", "inputs": {"clip_name": "umt5_xxl_fp8.safetensors", "type": "wan"}},
    }  # fmt: skip


def _slug(text: str, max_len: int = 30) -> str:
    words, out = text.lower().replace(",", " ").split(), ""
    for word in words:
        word = "".join(c for c in word if c.isalnum())
        if word and len(out) + len(word) + 1 <= max_len:
            out = f"{out}-{word}" if out else word
    return out


def plan(root: Path) -> list[DemoTake]:
    takes: list[DemoTake] = []
    for s, (code, prompt) in enumerate(SHOTS):
        folder = root / "takes" / code
        for t in range(12):
            generator, model = MODELS[(s + t) % len(MODELS)]
            source_t = DUPLICATE_OF.get(t, t)
            seed = 1000 + s * 97 + source_t * 13
            codec, suffix, width, height, fps, pix_fmt = FORMATS[(s * 5 + t) % len(FORMATS)]
            if t in DUPLICATE_OF:
                codec, suffix, width, height, fps, pix_fmt = "h264", ".mp4", 512, 288, Fraction(24), None
                # Same picture as take 0 of the shot: same seed, size ratio and frame rate.
                original = FORMATS[(s * 5 + source_t) % len(FORMATS)]
                fps = original[4]
                width, height = (original[2] * 3 // 4) // 2 * 2, (original[3] * 3 // 4) // 2 * 2
            frames = 48 + (seed % 3) * 12
            defects = []
            if t in DEFECTS:
                kind = DEFECTS[t]
                start = {"freeze": frames // 3, "black": 0, "flicker": frames // 4, "cut": frames // 2}[kind]
                end = {
                    "freeze": frames // 3 + frames // 3,
                    "black": 8,
                    "flicker": frames // 4 + 12,
                    "cut": frames,
                }[kind]
                defects.append(Defect(kind, start, end))
            variant = f"{prompt.split(':')[0].lower()}, cinematic, 35mm, take {t + 1}"
            full_prompt = f"{prompt}. Red 1990s pickup truck, desert, {variant}"
            spec = ClipSpec(
                codec=codec, width=width, height=height, fps=fps, frames=frames, pix_fmt=pix_fmt,
                seed=seed, audio=(s + t) % 6 == 2 and suffix != ".avi", defects=defects,
            )  # fmt: skip
            sidecar = None
            stem = f"{code}_{model.split('_')[0].split('-')[0]}_s{seed}_v{t + 1:03d}"
            graph = _comfy_graph(full_prompt, seed, model, width, height, frames)
            if generator == "LTX-Video":
                stem = f"video_output_0_{_slug(full_prompt)}_{seed}_{height}x{width}x{frames}_0"
                sidecar = (".json", json.dumps({"model": model, "generator": "LTX-Video", "prompt": full_prompt,
                                                 "negative_prompt": NEGATIVE, "seed": seed, "steps": 40}))  # fmt: skip
            elif generator == "A1111":
                sidecar = (".txt", f"{full_prompt}\nNegative prompt: {NEGATIVE}\n"
                                   f"Steps: 50, Sampler: DPM++ 2M, CFG scale: 6, Seed: {seed}, "
                                   f"Size: {width}x{height}, Model: {model}, Version: v1.10.1")  # fmt: skip
            elif suffix in (".mkv", ".mp4", ".mov") and t % 2 == 0:
                spec.tags = {"prompt": json.dumps(graph), "workflow": json.dumps({"nodes": []})}
            elif suffix in (".mkv", ".mp4", ".mov"):
                spec.tags = {"comment": json.dumps({"prompt": json.dumps(graph)})}
            else:
                sidecar = (".json", json.dumps(graph))
            takes.append(DemoTake(folder / f"{stem}{suffix}", spec, sidecar))
    return takes


def _write(take: DemoTake) -> None:
    write_clip(take.path, take.spec)
    if take.sidecar:
        suffix, text = take.sidecar
        take.path.with_suffix(suffix).write_text(text, encoding="utf-8")


def _write_broken(root: Path) -> None:
    incoming = root / "takes" / "_incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    good = write_clip(incoming / ".tmp_full.mp4", ClipSpec(frames=24, seed=5))
    data = good.read_bytes()
    (incoming / "SH030_render_interrupted.mp4").write_bytes(data[: len(data) // 2])
    good.unlink()
    (incoming / "SH050_download_error.mp4").write_text("<html><body>502 Bad Gateway</body></html>\n")


def _first_pass(project_file: Path, takes: list[DemoTake]) -> None:
    """Some triage already done by two reviewers on the first four shots, so the funnel shows movement."""
    planned = {take.path.name: index for index, take in enumerate(takes)}
    project = open_project(project_file)
    try:
        with project.sessions() as session:
            ids = {row.name: row.id for row in session.execute(select(m.Take.name, m.Take.id))}
        for name, index in sorted(planned.items(), key=lambda kv: kv[1]):
            shot, t = divmod(index, 12)
            take_id = ids.get(name)
            if take_id is None or shot >= 4:
                continue  # shots 5 to 8 are left for the reader to triage
            reviewer = "anna" if t % 2 else "director"
            if t in DEFECTS:
                tag = {
                    "freeze": "frozen",
                    "black": "black frames",
                    "flicker": "flicker",
                    "cut": "continuity",
                }[DEFECTS[t]]
                decide(project, take_id, Decision(verdict="reject", tags_added=(tag,)), reviewer)
            elif t in (0, 2, 6):
                decide(project, take_id, Decision(verdict="keep", rating=3 + t % 3), reviewer)
                if t == 0 or (t == 2 and shot < 3):
                    decide(
                        project,
                        take_id,
                        Decision(
                            verdict="keep",
                            rating=5 if t == 0 else 4,
                            note="Hero candidate" if t == 0 else None,
                        ),
                        "director",
                    )
                if t == 0 and shot < 2:  # the first two shots have their hero, trimmed on the second
                    frame_in, frame_out = (12, 59) if shot == 1 else (None, None)
                    set_hero(project, take_id, frame_in, frame_out, reviewer="director")
            elif t == 4:
                decide(
                    project,
                    take_id,
                    Decision(verdict="reject", tags_added=("hands/anatomy", "morphing")),
                    reviewer,
                )
    finally:
        project.close()


def write_demo(
    root: Path,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    force: bool = False,
    workers: int | None = None,
) -> Path:
    """Write the demo under ``root`` and return its project file (an existing demo is reused)."""
    root = root.expanduser().resolve()
    project_file = root / DEFAULT_PROJECT_FILE
    if project_file.exists() and not force:
        return project_file
    if force:
        shutil.rmtree(root / "takes", ignore_errors=True)
        for old in root.glob(DEFAULT_PROJECT_FILE + "*"):
            old.unlink()
    root.mkdir(parents=True, exist_ok=True)
    takes = plan(root)
    report = progress or (lambda phase, done, total: None)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for done, _ in enumerate(pool.map(_write, takes), start=1):
            report("encode", done, len(takes))
    _write_broken(root)
    project = open_project(project_file)
    try:
        project.set_setting("name", "Pickup — 60s spot (demo)")
        with project.session() as session:
            for order, (code, title) in enumerate(SHOTS):
                session.add(
                    m.Shot(
                        code=code,
                        title=title,
                        description="",
                        sort_order=(order + 1) * 10,
                        target_frames=TARGET_FRAMES[order],
                    )
                )
        Ingestor(project, progress=progress, workers=workers).run([root / "takes"])
    finally:
        project.close()
    _first_pass(project_file, takes)
    return project_file
