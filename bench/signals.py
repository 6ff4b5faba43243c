"""Signals benchmark: precision and recall per finding on the labelled set, beside the previous analysis
version (version 2: the same signals with the take's grain left in) and version 1 (bench/signals_v1.py)
on the same decoded frames in the same run.

    python bench/run.py signals [--sets 3] [--grain G] [--size WxH] [--proxies] [--keep DIR]

The set (``reviewer.media.synth.labelled_set``) holds the cases that look like defects and are not (a
moonlit night, pictures held two and three frames, a time-lapse slowing to a crawl, blinking lights
passing, a dissolve, a flash, a fast pan, snow on a still scene), the defects (a freeze, black frames, a
cut, a cut between scenes of similar colour, flicker, black inside a night take) and defects inside held
footage. Each set is drawn again with other scenes (``--sets``), at 640x360 (``--size``), in H.264 and
HEVC, with grain if asked (``--grain``), and analysed without proxies or, with ``--proxies``, as ingest
analyses it (the proxy written and the grey pictures read from its picture). A finding counts as found
when its frames are within one of the truth (held: its cadence). Printed per finding: true positives,
false positives, misses, precision and recall for each version, and the takes of the clean cases that
land in "Looks broken" (target: none; every labelled defect found).
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import av
import numpy as np

KINDS = ("still", "frozen", "cut", "black", "flicker", "held")


def grey_frames(path: Path) -> np.ndarray:
    """The grey pictures the analysis reads, decoded the way it decodes them."""
    from av.video.reformatter import VideoReformatter

    from reviewer.media.analysis import GREY, GREY_SCALING

    out = []
    reformatter = VideoReformatter()
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            small = reformatter.reformat(frame, width=GREY[0], height=GREY[1], format="gray",
                                         interpolation=GREY_SCALING, threads=1)  # fmt: skip
            out.append(small.to_ndarray()[:, : GREY[0]])
    return np.stack(out)


def matches(name: str, found, truth: list[tuple[int, int]]) -> bool:  # type: ignore[no-untyped-def]
    if name == "held":
        return bool(getattr(found, "cadence", 0)) and found.cadence == truth[0][1]
    ranges = found.ranges
    return len(ranges) == len(truth) and all(
        abs(a - c) <= 1 and abs(b - d) <= 1 for (a, b), (c, d) in zip(ranges, truth, strict=True)
    )


def v1_broken(signals: dict) -> list[str]:  # type: ignore[type-arg]
    """Version 1's rule for "Looks broken"."""
    out = []
    if "still" in signals:
        out.append("still")
    elif "frozen" in signals and signals["frozen"].score > 0.3:
        out.append("frozen")
    out += [k for k in ("cut", "flicker") if k in signals]
    if "black" in signals and signals["black"].score > 0.1:
        out.append("black")
    return out


def bench_signals(
    sets: int,
    keep: Path | None,
    grain: float = 0.0,
    size: tuple[int, int] = (640, 360),
    proxies: bool = False,
) -> None:
    from signals_v1 import signals_v1  # bench/signals_v1.py, beside this file

    from reviewer.media.analysis import VERSION, analyze
    from reviewer.media.synth import labelled_set, write_clip

    work = keep or Path(tempfile.mkdtemp(prefix="bench-signals-"))
    work.mkdir(parents=True, exist_ok=True)
    versions = ("now", "v2", "v1")
    counts: dict[str, dict[str, list[int]]] = {v: defaultdict(lambda: [0, 0, 0]) for v in versions}
    false_broken: dict[str, list[str]] = {v: [] for v in versions}
    missed_broken: dict[str, list[str]] = {v: [] for v in versions}
    cases = 0
    for codec, suffix in (("h264", ".mp4"), ("hevc", ".mkv")):
        for k in range(sets):
            for case in labelled_set(*size, 72, codec=codec, seeds=100 * k, grain=grain):
                cases += 1
                stem = f"{codec}_{k}_{size[0]}x{size[1]}_g{grain:g}_{case.name.replace(' ', '_').replace(',', '')}"
                path = work / f"{stem}{suffix}"
                if not path.exists():
                    write_clip(path, case.spec)
                # With a proxy, as ingest and `reviewer analyze` run by default: the pass reads its grey
                # pictures from the proxy's. Version 2 is the same pass with the grain left in; version 1
                # reads the grey pictures of the take, or of the proxy as written (its own coding in it).
                proxy = work / f"proxy_{stem}.mp4" if proxies else None
                now, _ = analyze(path, 72, proxy=proxy)
                v2, _ = analyze(path, 72, proxy=proxy, grain=False)
                old = signals_v1(grey_frames(proxy if proxy is not None and proxy.exists() else path))
                label = f"{case.name} ({codec}, set {k + 1})"
                for version, found, broken in (
                    ("now", now.signals, now.broken()),
                    ("v2", v2.signals, v2.broken()),
                    ("v1", old, v1_broken(old)),
                ):
                    for name in KINDS:
                        row = counts[version][name]
                        truth = case.truth.get(name)
                        hit = name in found and truth is not None and matches(name, found[name], truth)
                        if hit:
                            row[0] += 1
                        else:
                            if name in found:
                                row[1] += 1
                            if truth is not None:
                                row[2] += 1
                    wanted = {n for n in case.truth if n != "held"}
                    if set(broken) - wanted:
                        false_broken[version].append(f"{label}: {', '.join(sorted(set(broken) - wanted))}")
                    if wanted - set(broken) - {"frozen"}:  # a short freeze may be worth a look only
                        missed_broken[version].append(f"{label}: {', '.join(sorted(wanted - set(broken)))}")
    print(
        f"signals benchmark in {work}: {cases} labelled takes ({size[0]}x{size[1]}, 72 frames, H.264 and HEVC, "
        + ("analysed with proxies)" if proxies else "no proxies)")
    )
    print(
        f"  {'finding':8} | {'version ' + str(VERSION) + ': found, false, missed, precision, recall':52} | "
        f"{'version 2':36} | version 1"
    )
    for name in KINDS:
        cells = []
        for version in versions:
            tp, fp, fn = counts[version][name]
            precision = tp / (tp + fp) if tp + fp else float("nan")
            recall = tp / (tp + fn) if tp + fn else float("nan")
            cells.append(f"{tp:3} {fp:3} {fn:3}  P {precision:4.2f}  R {recall:4.2f}")
        print(f"  {name:8} | {cells[0]:52} | {cells[1]:36} | {cells[2]}")
    for version, title in (("now", f"version {VERSION}"), ("v2", "version 2"), ("v1", "version 1")):
        wrong = false_broken[version]
        print(f"  {title}: {len(wrong)} takes wrongly in 'Looks broken' (target 0)" + (": " if wrong else ""))
        for line in wrong[:12]:
            print(f"      {line}")
        if missed_broken[version]:
            print(f"  {title}: defects not in 'Looks broken': " + "; ".join(missed_broken[version][:8]))
