"""FFmpeg's choice of SIMD code, corrected where a measurement on this machine shows it is wrong.

Making a picture smaller in swscale (the proxy, the player's pictures, posters) starts with its
horizontal scaler, which reads every source pixel. Its AVX2 version fetches those pixels with gather
instructions, and on many CPUs gathers are slower than the plain loads of the SSSE3 version: Intel
cores with the Downfall (GDS) microcode fix, AMD Zen cores. On this project's machines (AMD Zen 5),
scaling a 1080p frame to 640x360 took 0.91 ms with gathers and 0.50 ms without, a fifth of the time of
decoding that frame. FFmpeg has a flag for this, ``AV_CPU_FLAG_SLOW_GATHER``, but sets it by CPU model
(Haswell) only.

``tune`` times both versions once per process on a few synthetic 1080p pictures and, when the plain loads win
clearly, sets the flag through libavutil's public ``av_force_cpu_flags`` (PyAV does not wrap it). The
flag only steers FFmpeg away from gather code: the pictures are bit for bit the same (tested).
Everything that scales calls ``tune`` first (it returns at once after the first call). The environment
variable ``TAKE_REVIEWER_SLOW_GATHER`` set to 1 or 0 decides without measuring.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import platform
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

SLOW_GATHER = 0x2000000  # AV_CPU_FLAG_SLOW_GATHER in libavutil/cpu.h (x86 flags)
AVX2 = 0x8000  # AV_CPU_FLAG_AVX2
MARGIN = 0.9  # the plain loads must take at most 90% of the gathers' time: noise decides nothing
ROUNDS = 2
FRAMES = 6  # 18 MB of pictures
ENV = "TAKE_REVIEWER_SLOW_GATHER"


@dataclass(frozen=True)
class Tuning:
    """What ``tune`` found: the two timings (ms for one 1080p frame to 640x360), and the choice."""

    slow_gather: bool
    reason: str
    gather_ms: float | None = None
    plain_ms: float | None = None


_lock = threading.Lock()
_tuning: Tuning | None = None


def libavutil() -> ctypes.CDLL | None:
    """The libavutil that PyAV runs on (its version checked against PyAV's), or None if not found.

    On Linux the copy mapped into this process is found in /proc/self/maps; elsewhere the copies that
    PyAV's wheels bundle beside the package, and last the system's (asking for it runs ldconfig)."""
    candidates: list[str] = []
    maps = Path("/proc/self/maps")
    if maps.is_file():
        lines = maps.read_text().splitlines()
        candidates += [line.split(maxsplit=5)[-1].strip() for line in lines if "avutil" in line]
    package = Path(av.__file__).parent
    for pattern in ("../av.libs/*avutil*", ".dylibs/*avutil*"):
        candidates += glob.glob(str(package / pattern))
    found = _matching(candidates)
    if found is None:
        system = ctypes.util.find_library("avutil")
        found = _matching([system] if system else [])
    return found


def _matching(paths: list[str]) -> ctypes.CDLL | None:
    wanted = tuple(av.library_versions.get("libavutil", ()))
    for path in dict.fromkeys(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.avutil_version.restype = ctypes.c_uint
            version = lib.avutil_version()
        except (OSError, AttributeError):
            continue
        if (version >> 16, (version >> 8) & 0xFF, version & 0xFF) == wanted:
            lib.av_get_cpu_flags.restype = ctypes.c_int
            lib.av_force_cpu_flags.argtypes = [ctypes.c_int]
            return lib
    return None


def choose(gather_ms: float, plain_ms: float) -> bool:
    """Whether to steer away from gathers, from the best timing of each version."""
    return plain_ms <= MARGIN * gather_ms


def _scale_ms(frames: list[av.VideoFrame]) -> float:
    """One 1080p frame to the proxy's size by area averaging, as the proxy is made: ms a frame."""
    scaler = VideoReformatter()  # a new context: it picks its code from the flags in force now
    scaler.reformat(frames[0], width=640, height=360, format="yuv420p", interpolation="AREA", threads=1)
    started = time.thread_time()
    for frame in frames:
        scaler.reformat(frame, width=640, height=360, format="yuv420p", interpolation="AREA", threads=1)
    return (time.thread_time() - started) * 1000 / len(frames)


def _measure(lib: ctypes.CDLL, detected: int) -> Tuning:
    # Distinct frames, more than the caches hold, as decoded frames come: gathers from memory are the
    # slow ones (one frame scaled again and again, from the cache, measures a third of the difference).
    # Filled in place: numpy temporaries this large would leave the allocator holding their memory.
    frames = [av.VideoFrame(1920, 1080, "yuv420p") for _ in range(FRAMES)]
    for k, frame in enumerate(frames):
        for plane in frame.planes:
            np.frombuffer(memoryview(plane), np.uint8)[:] = 16 + 37 * k
    gather = plain = float("inf")
    for _ in range(ROUNDS):  # alternating, so that a busy moment weighs on both
        lib.av_force_cpu_flags(detected)
        gather = min(gather, _scale_ms(frames))
        lib.av_force_cpu_flags(detected | SLOW_GATHER)
        plain = min(plain, _scale_ms(frames))
    slow = choose(gather, plain)
    lib.av_force_cpu_flags(detected | SLOW_GATHER if slow else detected)
    verdict = (
        "gathers slower: swscale uses plain loads" if slow else "gathers not slower: FFmpeg's choice kept"
    )
    return Tuning(slow, f"{verdict} ({gather:.2f} ms with, {plain:.2f} ms without)", gather, plain)


def _tune() -> Tuning:
    if platform.machine().lower() not in ("x86_64", "amd64", "x86", "i686", "i386"):
        return Tuning(False, "not an x86 CPU: no gather code to avoid")
    lib = libavutil()
    if lib is None:
        return Tuning(False, "PyAV's libavutil not found: FFmpeg's choice kept")
    detected = lib.av_get_cpu_flags()
    if detected & SLOW_GATHER:
        return Tuning(True, "FFmpeg itself knows gathers are slow on this CPU")
    if not detected & AVX2:
        return Tuning(False, "no AVX2: no gather code to avoid")
    wish = os.environ.get(ENV, "").strip()
    if wish in ("0", "1"):
        lib.av_force_cpu_flags(detected | SLOW_GATHER if wish == "1" else detected)
        return Tuning(wish == "1", f"{ENV}={wish}")
    return _measure(lib, detected)


def tune() -> Tuning:
    """Decide once per process (about 40 ms the first time; at once after) and return the decision."""
    global _tuning
    if _tuning is not None:
        return _tuning
    with _lock:
        if _tuning is None:
            _tuning = _tune()
    return _tuning
