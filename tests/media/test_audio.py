"""The sound feed (exact samples from a media time, loops, time stretch, silence padding, bad files) and
the clock that follows the device."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from reviewer.errors import MediaError
from reviewer.media.audio import (
    OUTPUT_LATENCY_S,
    RATE,
    SYNC_DEADBAND_S,
    WAVE_COLUMNS,
    AudioFeed,
    AudioMaster,
    CutFeed,
    Span,
    audible,
    range_seconds,
    tempo_factors,
    waveform,
)
from reviewer.media.frames import FrameReader
from reviewer.media.playback import Clock
from tests.conftest import ClipFactory


def ramp(start: int, stop: int) -> np.ndarray:
    """The test signal: sample i is (i mod 30000) - 15000, so every sample says where it is."""
    return ((np.arange(start, stop) % 30000) - 15000).astype(np.int16)


@contextmanager
def sound_take(
    path: Path, codec: str, layout: str, rate: int, seconds: float = 2.0
) -> Iterator[tuple[Any, Any]]:
    """A file with ``seconds`` of tiny 24 fps pictures (VP9 in WebM, else H.264) and one sound stream,
    which the caller fills: yields the container and the stream."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libvpx-vp9" if path.suffix == ".webm" else "libx264", rate=24)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        sound = out.add_stream(codec, rate=rate)
        sound.layout = layout
        for i in range(int(seconds * 24)):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 5 % 255, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        yield out, sound
        out.mux(sound.encode(None))


def ramp_take(path: Path, seconds: float = 2.0, sound_seconds: float | None = None, rate: int = RATE,
              layout: str = "stereo") -> Path:  # fmt: skip
    """Tiny pictures and lossless PCM sound carrying the ramp."""
    with sound_take(path, "pcm_s16le", layout, rate, seconds) as (out, sound):
        total = int((sound_seconds or seconds) * rate)
        channels = 2 if layout == "stereo" else 1
        for s in range(0, total, 1024):
            samples = ramp(s, min(s + 1024, total))
            block = av.AudioFrame.from_ndarray(np.repeat(samples, channels).reshape(1, -1), format="s16",
                                               layout=layout)  # fmt: skip
            block.sample_rate, block.pts = rate, s
            out.mux(sound.encode(block))
    return path


def drain(feed: AudioFeed, limit: int = 1 << 30) -> np.ndarray:
    """Everything the feed gives (up to ``limit`` bytes), as (samples, 2)."""
    out = bytearray()
    deadline = time.monotonic() + 20
    try:
        while not feed.ended and len(out) < limit and time.monotonic() < deadline:
            out += feed.read(min(1 << 16, limit - len(out)))
            time.sleep(0.001)
    finally:
        feed.close()
    return np.frombuffer(bytes(out), np.int16).reshape(-1, 2)


def test_the_feed_starts_at_the_exact_sample_and_ends_at_the_out_point(tmp_path: Path) -> None:
    path = ramp_take(tmp_path / "ramp.mov")
    pcm = drain(AudioFeed(path, 1.0, hi_s=1.5))
    assert not pcm.size or pcm.shape == (24000, 2)
    assert (pcm[:, 0] == ramp(48000, 72000)).all() and (pcm[:, 1] == pcm[:, 0]).all()
    whole = drain(AudioFeed(path, 0.0))
    assert (whole[:, 0] == ramp(0, 96000)).all()


def test_a_range_loops_without_a_gap(tmp_path: Path) -> None:
    path = ramp_take(tmp_path / "ramp.mov")
    pcm = drain(AudioFeed(path, 0.7, lo_s=0.5, hi_s=1.0, loop=True), limit=60000 * 4)[:, 0]
    assert (pcm[:14400] == ramp(33600, 48000)).all()  # from 0.7 s to the out point
    assert (pcm[14400:38400] == ramp(24000, 48000)).all()  # then the whole range, again and again
    assert (pcm[38400:60000] == ramp(24000, 45600)).all()


def test_mono_and_44_1_khz_sound_is_converted_in_place(tmp_path: Path) -> None:
    path = ramp_take(tmp_path / "mono.mov", rate=44100, layout="mono")
    pcm = drain(AudioFeed(path, 1.0, hi_s=1.5))
    assert pcm.shape == (24000, 2) and (pcm[:, 0] == pcm[:, 1]).all()
    # The ramp, resampled to 48 kHz (and spread on two channels, each at -3 dB): it wraps at the source's
    # sample 60000, 1.3605 s in, which must be 0.3605 s into the feed.
    wrap = int(np.argmin(np.diff(pcm[:, 0].astype(int))))
    assert wrap == pytest.approx((60000 / 44100 - 1.0) * RATE, abs=3)
    slope = (int(pcm[2100, 0]) - int(pcm[100, 0])) / 2000
    assert slope == pytest.approx(44100 / 48000 * 0.707, abs=0.1)


def test_compressed_sound_matches_a_sequential_decode(clip: ClipFactory) -> None:
    path = clip(".mp4", frames=48, audio=True, seed=2)  # AAC
    reference = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE)
        for frame in container.decode(container.streams.audio[0]):
            reference += [out.to_ndarray().reshape(-1, 2) for out in resampler.resample(frame)]
    whole = np.concatenate(reference)
    start = int(0.5 * RATE)
    pcm = drain(AudioFeed(path, 0.5, hi_s=1.5))
    assert pcm.shape == (RATE, 2)
    # After the seek the decoder needs one AAC frame (1024 samples) to settle; from there, identical.
    assert np.abs(pcm[2048:, 0].astype(int) - whole[start + 2048 : start + RATE, 0]).max() <= 1


def test_sound_shorter_than_the_picture_is_padded_with_silence(tmp_path: Path) -> None:
    path = ramp_take(tmp_path / "short.mov", seconds=2.0, sound_seconds=1.0)
    pcm = drain(AudioFeed(path, 0.5, hi_s=2.0))
    assert pcm.shape == (72000, 2)
    assert (pcm[:24000, 0] == ramp(24000, 48000)).all() and not pcm[24000:].any()


def tone_pitch(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm[:, 0].astype(float) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum) * RATE / len(pcm))


@pytest.mark.parametrize("speed", [0.25, 0.5, 2.0])
def test_speed_changes_duration_not_pitch(clip: ClipFactory, speed: float) -> None:
    path = clip(".mp4", frames=48, audio=True, seed=0)  # a 220 Hz tone, 2 s
    normal = drain(AudioFeed(path, 0.0, hi_s=1.0))
    stretched = drain(AudioFeed(path, 0.0, speed=speed, hi_s=1.0))
    assert len(stretched) == pytest.approx(len(normal) / speed, rel=0.05)
    assert tone_pitch(stretched) == pytest.approx(tone_pitch(normal), abs=3.0) == pytest.approx(220, abs=3)


def test_no_sound_backwards_or_above_2x() -> None:
    assert audible(1.0) and audible(2.0) and audible(0.25)
    assert not audible(4.0) and not audible(-1.0) and not audible(0.0)
    with pytest.raises(ValueError):
        AudioFeed(Path("x.mp4"), 0.0, speed=4.0)
    assert tempo_factors(0.25) == [0.5, 0.5] and tempo_factors(2.0) == [2.0]


@pytest.mark.parametrize("content", [None, b"not a video at all", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64])
def test_bad_files_give_a_clear_error_and_no_sound(
    tmp_path: Path, clip: ClipFactory, content: bytes | None
) -> None:
    if content is None:
        path = clip(".mp4", frames=12, seed=1)  # a fine take without sound
    else:
        path = tmp_path / "broken.mp4"
        path.write_bytes(content)
    feed = AudioFeed(path, 0.0)
    assert feed.ready.wait(5)
    assert drain(feed).size == 0
    assert feed.error and feed.ended
    if content is None:
        assert feed.error == "no sound in this take"


def test_a_truncated_file_plays_what_is_there(tmp_path: Path) -> None:
    path = ramp_take(tmp_path / "ramp.mkv")  # Matroska: readable up to where it was cut
    data = path.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 2 // 3])
    feed = AudioFeed(cut, 0.0, hi_s=2.0)
    pcm = drain(feed)
    assert pcm.shape == (96000, 2) and not feed.error  # what decoded, then silence to the out point
    decoded = int(np.flatnonzero(pcm[:, 0])[-1]) + 1
    assert 0 < decoded < 96000 and (pcm[:decoded, 0] == ramp(0, decoded)).all()


def test_a_cut_sounds_each_hero_over_its_range_and_silence_between(tmp_path: Path, clip: ClipFactory) -> None:
    talking = ramp_take(tmp_path / "ramp.mov")  # 24 fps, the ramp at 48 kHz
    silent = clip(".mp4", frames=24, seed=1)
    broken = tmp_path / "gone.mp4"
    spans = [
        Span(talking, 12, 23),  # 0.5 s to 1.0 s of the ramp
        Span(None, 0, 11),  # a shot without a hero: half a second of silence
        Span(silent, 0, 11),  # a hero without sound: silence as long as its frames
        Span(broken, 0, 5),  # a hero whose file has gone: silence too, the cut keeps its time
        Span(talking, 24, 35),
    ]
    pcm = drain(CutFeed(spans, 18))[:, 0]  # from the first hero's frame 18 (0.75 s)
    assert len(pcm) == 12000 + 24000 + 24000 + 12000 + 24000
    assert (pcm[:12000] == ramp(36000, 48000)).all()
    assert not pcm[12000:72000].any()
    assert (pcm[72000:] == ramp(48000, 72000)).all()


def test_range_seconds_are_on_the_container_clock(clip: ClipFactory) -> None:
    path = clip(".mp4", frames=48, start_pts=12)  # the picture starts half a second in
    reader = FrameReader(path)
    try:
        lo_s, hi_s = range_seconds(reader.index, 0, 23)
        assert lo_s == pytest.approx(0.5) and hi_s == pytest.approx(1.5)
        assert range_seconds(reader.index, 24, 47)[1] == pytest.approx(2.5)  # the last frame lasts one too
    finally:
        reader.container.close()


@dataclass
class Mastered:
    clock: Clock
    t0: float  # the clock time the sound starts at
    master: AudioMaster
    base: float  # a wall-clock time to count from


@pytest.fixture
def mastered() -> Mastered:
    clock = Clock()
    t0 = clock.now()
    return Mastered(clock, t0, AudioMaster(clock, t0), time.monotonic())


def test_the_clock_follows_the_device(mastered: Mastered) -> None:
    clock, t0, master, base = mastered.clock, mastered.t0, mastered.master, mastered.base
    # The device has not started: the clock is held where the sound begins.
    master.follow(0.0, now=base + 0.1)
    assert clock.at(base + 0.1) == pytest.approx(t0, abs=OUTPUT_LATENCY_S + SYNC_DEADBAND_S)
    # It runs: the clock is the device's time (less its latency), whatever the wall clock says.
    master.follow(0.5, now=base + 0.7)
    assert clock.at(base + 0.7) == pytest.approx(t0 + 0.5 - OUTPUT_LATENCY_S, abs=SYNC_DEADBAND_S)
    # Small differences (a device reporting in blocks) are left alone: no jitter.
    before = clock.at(base + 0.705)
    master.follow(0.505, now=base + 0.705)
    assert clock.at(base + 0.705) == before
    # A device that stops: held for a while, then the sound is given up and the clock runs free.
    master.follow(0.505, now=base + 0.9)
    assert not master.stalled
    master.follow(0.505, now=base + 1.2)
    assert master.stalled


def test_a_sound_that_ended_no_longer_holds_the_picture(mastered: Mastered) -> None:
    clock, master, base = mastered.clock, mastered.master, mastered.base
    master.follow(1.0, now=base + 1.0)
    held = clock.at(base + 2.0)
    master.follow(1.0, ended=True, now=base + 2.0)
    assert clock.at(base + 2.0) == held and not master.stalled


def tone_take(path: Path, codec: str, layout: str, rate: int, sound_starts: float = 0.0) -> Path:
    """Two seconds of picture with a 440 Hz tone in ``codec``, starting ``sound_starts`` in."""
    with sound_take(path, codec, layout, rate) as (out, sound):
        channels = len(av.AudioLayout(layout).channels)
        size = sound.codec_context.frame_size or 960
        offset = round(sound_starts * rate)
        for s in range(0, 2 * rate - offset, size):
            wave = (0.3 * np.sin(2 * np.pi * 440 * np.arange(s, s + size) / rate)).astype(np.float32)
            block = av.AudioFrame.from_ndarray(np.tile(wave, (channels, 1)), format="fltp", layout=layout)
            block.sample_rate, block.pts = rate, s + offset
            out.mux(sound.encode(block))
    return path


@pytest.mark.parametrize(
    ("name", "codec", "layout", "rate", "starts"),
    [
        ("opus.webm", "libopus", "stereo", 48000, 0.0),  # VP9 + Opus, as web tools export
        ("surround.mp4", "aac", "5.1", 48000, 0.0),  # folded down to stereo
        ("late.mp4", "aac", "stereo", 48000, 0.5),  # the sound starts half a second after the picture
        ("phone.mkv", "flac", "mono", 8000, 0.0),
    ],
)
def test_odd_sound_plays_in_place(tmp_path: Path, name: str, codec: str, layout: str, rate: int,
                                  starts: float) -> None:  # fmt: skip
    path = tone_take(tmp_path / name, codec, layout, rate, starts)
    pcm = drain(AudioFeed(path, 0.0, hi_s=2.0))
    assert pcm.shape == (2 * RATE, 2)
    heard = np.flatnonzero(np.abs(pcm[:, 0]) > 300)
    assert heard[0] / RATE == pytest.approx(starts, abs=0.015)  # silence until the sound begins
    assert tone_pitch(pcm[RATE:]) == pytest.approx(440, abs=3)
    later = drain(AudioFeed(path, 1.0, hi_s=2.0))  # and after a seek
    assert later.shape == (RATE, 2) and tone_pitch(later) == pytest.approx(440, abs=3)


def test_the_waveform_spans_the_picture_and_shows_where_the_sound_is(
    tmp_path: Path, clip: ClipFactory
) -> None:
    path = tone_take(tmp_path / "late.mp4", "aac", "stereo", 48000, sound_starts=0.5)  # 2 s of picture
    peaks = waveform(path)
    assert peaks.shape == (WAVE_COLUMNS,) and peaks.dtype == np.float32
    quiet, loud = peaks[: WAVE_COLUMNS // 4 - 5], peaks[WAVE_COLUMNS // 4 + 5 :]
    assert quiet.max() < 0.01 and loud.min() > 0.3  # silent for the first quarter, then the tone
    with pytest.raises(MediaError, match="no sound"):
        waveform(clip(".mp4", frames=12, seed=1))
