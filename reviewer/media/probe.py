"""Probing a video file with PyAV: what it is, exactly, and one poster frame from the same open.

Everything the container states is taken as stated where it is exact (codec, size, aspect, rates);
what containers get wrong is measured: the frame count and variable frame rate come from the sample
index where the container has a complete one that fits the file (MP4/MOV, AVI), else from demuxing
every video packet (no decoding), and a file whose packets stop early is reported as truncated.
The poster comes from one decoded frame, converted and scaled in FFmpeg (swscale), rotated and
aspect-corrected as it is meant to be displayed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from reviewer.errors import MediaError
from reviewer.media.images import orient, scaled_size, to_rgb

# How many bytes of container metadata we read at most per tag (prompts and workflows can be big).
MAX_TAG_BYTES = 1 << 20
VFR_TOLERANCE = 0.02  # a frame duration more than 2% off the typical one makes a stream VFR
# Formats whose frames carry their own delays, rounded to the format's unit (GIF: centiseconds): the
# rate is the frames over the time they fill (FFmpeg's average is a guess from the first delays: 8 fps
# as 12/13 cs delays is not 25/3), and VFR only where delays vary by more than a centisecond.
DELAY_FORMATS = frozenset({"gif", "apng", "webp"})
DELAY_UNIT_S = Fraction(1, 100)
# The stream-info pass at open decodes a frame and reads up to 5 MB of packets to learn what the
# poster decode and the sample index tell us anyway: it is told not to decode, and for MP4/MOV, whose
# header holds everything, to read nothing more (an open then costs a tenth of the time).
OPEN_OPTIONS = {"skip_frame": "all"}
HEADER_ONLY_OPEN = {"skip_frame": "all", "probesize": "32", "analyzeduration": "0"}
HEADER_ONLY_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".qt"})


@dataclass
class Probe:
    """What a video file is, as plain data (no PyAV objects) so it can cross process boundaries."""

    container: str = ""
    video_codec: str = ""
    codec_profile: str = ""
    pix_fmt: str = ""
    bit_depth: int = 8
    color_range: str = ""
    color_space: str = ""
    width: int = 0
    height: int = 0
    sar: Fraction = Fraction(1)
    rotation: int = 0
    fps: Fraction = Fraction(0)
    vfr: bool = False
    frame_count: int = 0
    duration_s: float = 0.0
    start_time_s: float = 0.0
    bit_rate: int = 0
    has_audio: bool = False
    audio_codec: str = ""
    audio_channels: int = 0
    audio_rate: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    warning: str = ""


def reason_for(exc: BaseException) -> str:
    """A one-line reason for an error opening or reading a media file."""
    if isinstance(exc, av.error.InvalidDataError):
        return "not a video file, or damaged beyond reading (FFmpeg: invalid data)"
    if isinstance(exc, av.error.FFmpegError):
        text = exc.strerror or str(exc)
        return f"cannot be read (FFmpeg: {text})"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def check_file(path: Path) -> os.stat_result:
    """The file's stat, or a MediaError saying in one line why it is no file we can read."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise MediaError(f"broken link (points to {os.readlink(path)})") from None
        raise MediaError("file not found") from None
    except PermissionError:
        raise MediaError("permission denied") from None
    except OSError as exc:
        raise MediaError(exc.strerror or str(exc)) from None
    if path.is_dir():
        raise MediaError("is a folder, not a video file")
    if not path.is_file():
        raise MediaError("not a regular file")
    if st.st_size == 0:
        raise MediaError("empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise MediaError("permission denied")
    return st


def _clip_tags(metadata: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(value, str):
            continue
        out[str(key)[:200]] = value[:MAX_TAG_BYTES]
    return out


def _bit_depth(fmt: av.VideoFormat | None) -> int:
    if fmt is None or not fmt.components:
        return 8
    return max(c.bits for c in fmt.components)


def _is_vfr(timestamps: list[int], unit: float = 1.0) -> bool:
    """Whether frame durations vary: by more than ``unit`` ticks (the rounding of the format's delays)
    and more than VFR_TOLERANCE of the typical duration."""
    if len(timestamps) < 3:
        return False
    steps = np.diff(np.sort(np.asarray(timestamps, dtype=np.int64)))
    steps = steps[steps > 0]
    if steps.size < 2:
        return False
    typical = float(np.median(steps))
    deviation = np.abs(steps.astype(np.float64) - typical)
    return bool(np.any(deviation > max(1.0, unit, typical * VFR_TOLERANCE)))


def indexed_timestamps(stream: av.VideoStream, file_size: int) -> list[int] | None:
    """The timestamps of the shown frames from the container's own sample index, if it can be trusted.

    It can when it lists every frame the stream says it has and no frame lies past the end of the file
    (a render cut short keeps a complete index at the front and loses the frames it points to).
    MP4/MOV and AVI have such an index; its timestamps are decode times (in order for AVI)."""
    entries = stream.index_entries
    if not stream.frames or len(entries) != stream.frames:
        return None
    last = entries[len(entries) - 1]
    if last.pos < 0 or last.pos + last.size > file_size:
        return None
    return [e.timestamp for e in entries if not e.is_discard]


def _measure_packets(
    container: av.container.InputContainer, stream: av.VideoStream
) -> tuple[int, list[int], list[int], str]:
    """Count the video packets and collect their timestamps and durations; note truncation."""
    pts: list[int] = []
    durations: list[int] = []
    count = 0
    warning = ""
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            count += 1
            if packet.pts is not None:
                pts.append(packet.pts)
            if packet.duration:
                durations.append(packet.duration)
    except av.error.FFmpegError as exc:
        warning = f"truncated or damaged: read stopped after {count} frames ({exc.strerror or exc})"
    return count, pts, durations, warning


def _delay_timing(pts: list[int], durations: list[int], tb: Fraction) -> tuple[Fraction, float, bool] | None:
    """Rate, duration and VFR of a format whose frames carry delays, from the delays themselves."""
    if len(pts) < 2:
        return None
    ordered = sorted(pts)
    last = durations[-1] if durations else int(np.median(np.diff(ordered)))
    ticks = ordered[-1] + max(1, last) - ordered[0]
    seconds = Fraction(ticks) * tb
    if seconds <= 0:
        return None
    unit = float(DELAY_UNIT_S / tb)
    return Fraction(len(pts)) / seconds, float(seconds), _is_vfr(pts, unit)


def _poster(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    at_s: float,
    long_side: int,
) -> tuple[np.ndarray | None, av.VideoFrame | None]:
    """One displayable frame near ``at_s`` (the keyframe at or before it) and the decoded frame."""
    if at_s > 0 and stream.time_base:
        try:
            container.seek(int(at_s / stream.time_base), stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            container.seek(0)
    for frame in container.decode(stream):
        rotation = int(frame.rotation or 0)
        sar = stream.sample_aspect_ratio or Fraction(1)
        w, h = scaled_size(frame.width, frame.height, sar, long_side)
        return orient(to_rgb(frame, w, h), rotation), frame
    return None, None


def open_video(path: Path) -> av.container.InputContainer:
    """Open a video file for reading, as cheaply as its container allows (see OPEN_OPTIONS)."""
    if path.suffix.lower() in HEADER_ONLY_SUFFIXES:
        try:
            container = av.open(str(path), metadata_errors="replace", options=HEADER_ONLY_OPEN)
        except av.error.FFmpegError:
            pass
        else:
            video = container.streams.video
            if (
                container.format.name.startswith("mov")
                and video
                and video[0].frames
                and video[0].average_rate
                and video[0].codec_context.width
            ):
                return container
            container.close()
    return av.open(str(path), metadata_errors="replace", options=OPEN_OPTIONS)


def is_animated_image(path: Path | str) -> bool:
    """Whether a PNG or WebP file is animated (APNG: an ``acTL`` chunk before the first ``IDAT``; WebP:
    the ``VP8X`` header's animation flag), from its first bytes; unreadable: not animated."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        actl, idat = head.find(b"acTL"), head.find(b"IDAT")
        return actl != -1 and (idat == -1 or actl < idat)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return head[12:16] == b"VP8X" and len(head) > 20 and bool(head[20] & 0x02)
    return False


def probe(path: Path, *, poster_size: int = 0) -> tuple[Probe, np.ndarray | None]:
    """Probe ``path``; with ``poster_size`` also return a poster (RGB, long side that size), else None.

    Raises MediaError with a one-line reason when the file cannot be read as a video.
    """
    st = check_file(path)
    try:
        container = open_video(path)
    except Exception as exc:
        raise MediaError(reason_for(exc)) from None
    try:
        if container.format.name.startswith("webp") and is_animated_image(path):
            raise MediaError(
                "an animated WebP: this build's FFmpeg reads only still WebP images (save the take as "
                "MP4, WebM, GIF or animated PNG to review it)"
            )
        return _probe_open(container, poster_size, st.st_size)
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        raise MediaError(reason_for(exc)) from None
    finally:
        container.close()


def _probe_open(
    container: av.container.InputContainer, poster_size: int, file_size: int
) -> tuple[Probe, np.ndarray | None]:
    videos = [s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)]
    if not videos:
        kinds = sorted({s.type for s in container.streams})
        has = f" (it has {', '.join(kinds)} only)" if kinds else ""
        raise MediaError(f"no video stream{has}")
    stream = videos[0]
    cc = stream.codec_context
    p = Probe()
    p.container = container.format.name
    p.video_codec = cc.codec.canonical_name if cc.codec else ""
    p.codec_profile = cc.profile or ""
    p.width, p.height = cc.width, cc.height
    if p.width <= 0 or p.height <= 0:
        raise MediaError("video stream has no picture size (damaged header)")
    sar = stream.sample_aspect_ratio
    p.sar = Fraction(sar) if sar and sar > 0 else Fraction(1)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    p.fps = Fraction(rate) if rate else Fraction(0)
    tb = stream.time_base or Fraction(1, 1_000_000)
    if stream.start_time is not None:
        p.start_time_s = float(stream.start_time * tb)
    if stream.duration:
        p.duration_s = float(stream.duration * tb)
    elif container.duration:
        p.duration_s = container.duration / 1_000_000
    p.bit_rate = int(container.bit_rate or 0)
    audio = container.streams.audio
    if audio:
        a = audio[0].codec_context
        p.has_audio = True
        p.audio_codec = a.codec.canonical_name if a.codec else ""
        p.audio_channels = int(a.channels or 0)
        p.audio_rate = int(a.sample_rate or 0)
    p.tags = _clip_tags(dict(container.metadata))
    for key, value in _clip_tags(dict(stream.metadata)).items():
        p.tags.setdefault(key, value)

    indexed = (
        indexed_timestamps(stream, file_size) if container.format.name.startswith(("mov", "avi")) else None
    )
    if indexed is not None:
        p.frame_count, p.vfr = len(indexed), _is_vfr(indexed)
    else:
        p.frame_count, pts, durations, p.warning = _measure_packets(container, stream)
        p.vfr = _is_vfr(pts)
        timing = _delay_timing(pts, durations, tb) if container.format.name in DELAY_FORMATS else None
        if timing is not None:
            p.fps, p.duration_s, p.vfr = timing
        promised = stream.frames or 0
        if not p.warning and 0 < p.frame_count < promised:
            p.warning = f"truncated: {p.frame_count} of the {promised} frames its index lists are in the file"
    if p.frame_count == 0:
        raise MediaError("no video frames could be read (truncated or damaged)")
    if not p.duration_s and p.fps:
        p.duration_s = float(p.frame_count / p.fps)

    poster: np.ndarray | None = None
    frame: av.VideoFrame | None = None
    container.seek(0)
    try:
        at = p.duration_s / 3 if p.frame_count > 1 else 0.0
        poster, frame = _poster(container, stream, at + p.start_time_s, poster_size or 64)
    except av.error.FFmpegError as exc:
        if not p.warning:
            p.warning = f"no frame could be decoded ({exc.strerror or exc})"
    if poster is None or frame is None:
        raise MediaError(p.warning or "no frame could be decoded")
    # What the decoder produced is the truth about the picture (the open above did not decode).
    p.rotation = int(frame.rotation or 0)
    p.pix_fmt = frame.format.name
    p.bit_depth = _bit_depth(frame.format)
    p.color_range = _enum_name(frame.color_range)
    p.color_space = _enum_name(frame.colorspace)
    return p, poster if poster_size else None


def _enum_name(value: object) -> str:
    name = getattr(value, "name", None)
    return str(name if name is not None else value or "")


def readable(path: Path) -> str:
    """Whether a file that may still be being written reads as a whole video yet: "" if it does, else
    why not. An MP4 or MOV being written has no index (``moov``) until its writer closes it, so it does
    not open; a stream format (MKV, WebM, MPEG-TS) opens early, which is why a watcher also waits for
    the size to stand still. Cheap: the header and the first picture only."""
    try:
        check_file(path)
        with open_video(path) as container:
            if not container.streams.video:
                return "no video stream yet"
            for _frame in container.decode(video=0):
                return ""
            return "no picture yet"
    except MediaError as exc:
        return str(exc)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        return reason_for(exc)


def container_tags(path: Path) -> dict[str, str]:
    """A file's metadata tags (the container's, then its first video stream's), each bounded as the
    probe bounds them; {} when it cannot be opened."""
    try:
        with open_video(path) as container:
            tags = _clip_tags(dict(container.metadata))
            if container.streams.video:
                for key, value in _clip_tags(dict(container.streams.video[0].metadata)).items():
                    tags.setdefault(key, value)
            return tags
    except (av.error.FFmpegError, OSError, ValueError):
        return {}
