"""FFmpeg's choice between gather and plain loads in swscale: measured once, set through libavutil, and
never a change in the pictures."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import av
import numpy as np
import pytest
from av.video.reformatter import VideoReformatter

from reviewer.media import cpuflags
from reviewer.media.images import to_rgb

x86 = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="gather instructions are x86's"
)


def test_plain_loads_are_chosen_only_when_clearly_faster() -> None:
    assert cpuflags.choose(gather_ms=0.9, plain_ms=0.5)
    assert cpuflags.choose(gather_ms=1.0, plain_ms=0.9)
    assert not cpuflags.choose(gather_ms=1.0, plain_ms=0.95)  # within the noise: FFmpeg's choice stays
    assert not cpuflags.choose(gather_ms=0.5, plain_ms=0.9)


@x86
def test_the_libavutil_pyav_runs_on_is_found() -> None:
    lib = cpuflags.libavutil()
    assert lib is not None
    version = lib.avutil_version()
    assert (version >> 16, (version >> 8) & 0xFF, version & 0xFF) == tuple(av.library_versions["libavutil"])


@x86
def test_either_choice_gives_the_same_pictures() -> None:
    """What the flag changes is how swscale loads pixels, never what it computes: proxies, greys and the
    player's pictures are bit for bit the same either way."""
    lib = cpuflags.libavutil()
    assert lib is not None
    decided = cpuflags.tune()
    detected = lib.av_get_cpu_flags() & ~cpuflags.SLOW_GATHER
    rng = np.random.default_rng(3)
    frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (1620, 1920), dtype=np.uint8), format="yuv420p")

    def pictures() -> list[np.ndarray]:
        out = [to_rgb(frame, 640, 360), to_rgb(frame, 2560, 1440)]
        for interpolation in ("AREA", "FAST_BILINEAR", "BICUBIC"):
            for size in ((640, 360), (128, 72)):
                scaled = VideoReformatter().reformat(
                    frame, width=size[0], height=size[1], format="yuv420p", interpolation=interpolation
                )
                out.append(scaled.to_ndarray())
        return out

    try:
        lib.av_force_cpu_flags(detected)
        with_gathers = pictures()
        lib.av_force_cpu_flags(detected | cpuflags.SLOW_GATHER)
        without = pictures()
    finally:
        lib.av_force_cpu_flags(detected | cpuflags.SLOW_GATHER if decided.slow_gather else detected)
    assert all(np.array_equal(a, b) for a, b in zip(with_gathers, without, strict=True))


def _decision_in_a_new_process(setting: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != cpuflags.ENV}
    if setting is not None:
        env[cpuflags.ENV] = setting
    code = (
        "import json; from reviewer.media import cpuflags; t = cpuflags.tune(); lib = cpuflags.libavutil(); "
        "print(json.dumps({'slow': t.slow_gather, 'reason': t.reason, "
        "'flag': bool(lib.av_get_cpu_flags() & cpuflags.SLOW_GATHER) if lib else None}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@x86
def test_the_decision_is_what_ffmpeg_is_told() -> None:
    """Measured, or set by the environment: what ``tune`` reports is the flag libavutil hands out."""
    measured = _decision_in_a_new_process(None)
    assert measured["flag"] == measured["slow"], measured
    if measured["reason"].startswith("gathers"):  # it measured (no AVX2, or FFmpeg knew: nothing to time)
        assert "ms with" in measured["reason"]
    forced_on, forced_off = _decision_in_a_new_process("1"), _decision_in_a_new_process("0")
    if "no AVX2" not in forced_on["reason"] and "knows" not in forced_on["reason"]:
        assert forced_on == {"slow": True, "reason": f"{cpuflags.ENV}=1", "flag": True}
        assert forced_off == {"slow": False, "reason": f"{cpuflags.ENV}=0", "flag": False}
