"""The take's sound on the sound card, through QtMultimedia, as the master clock of the picture.

``SoundOut`` plays one ``AudioFeed`` at a time on the default output device: a ``QAudioSink`` in push
mode, topped up from the feed every few milliseconds on the GUI thread (the feed decodes ahead in its own
thread), and an ``AudioMaster`` that slips the player's clock to what the device has consumed. If
QtMultimedia or a device is missing, or the device does not take the sound, the picture plays on its
own clock and ``problem`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QIODevice, QLoggingCategory, QObject, Qt, QTimer

from reviewer.media.audio import FRAME_BYTES, RATE, AudioFeed, AudioMaster, audible, range_seconds
from reviewer.media.playback import Clock, PlaybackEngine

# Qt Multimedia says on every start which FFmpeg it uses and that it found no PipeWire library (it then
# uses PulseAudio, or PipeWire's PulseAudio service): not the reviewer's concern. QT_LOGGING_RULES wins.
QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver=false\nqt.multimedia.ffmpeg.info=false")

try:  # QtMultimedia ships in PySide6-Addons and loads libpulse: without them the player is silent
    from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

    MULTIMEDIA_ERROR = ""
except ImportError as exc:  # pragma: no cover - depends on the installation
    MULTIMEDIA_ERROR = f"no sound: QtMultimedia cannot be loaded ({exc})"

RING_S = 0.25  # the sink's own buffer: the GUI thread may be busy this long before the sound breaks up
PUMP_MS = 5


class SoundOut(QObject):
    """The sound of the take playing, if any; one play at a time."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.feed: AudioFeed | None = None
        self.master: AudioMaster | None = None
        self.problem = ""  # why there is no sound, shown by the player
        self._sink: QAudioSink | None = None
        self._io: QIODevice | None = None
        self.written = 0  # bytes handed to the device in this play
        self._mark: object = None  # the play the sound was last started (or not) for
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.pump)

    @property
    def playing(self) -> bool:
        return self.feed is not None

    def play(self, feed: AudioFeed, clock: Clock, t0: float) -> bool:
        """Play ``feed`` from now, its first sample at clock time ``t0``; False (and ``problem``) if the
        sound cannot be played, and then the feed is closed."""
        self.stop()
        if MULTIMEDIA_ERROR:
            self.problem = MULTIMEDIA_ERROR
            feed.close()
            return False
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            self.problem = "no sound: no audio output device"
            feed.close()
            return False
        fmt = QAudioFormat()
        fmt.setSampleRate(RATE)
        fmt.setChannelCount(2)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        sink = QAudioSink(device, fmt, self)
        sink.setBufferSize(int(RING_S * RATE) * FRAME_BYTES)
        io = sink.start()
        if io is None:
            self.problem = (
                f"no sound: the device {device.description()} refused to play ({sink.error().name})"
            )
            sink.deleteLater()
            feed.close()
            return False
        self.problem = ""
        self._sink, self._io, self.feed = sink, io, feed
        self.written = 0
        self.master = AudioMaster(clock, t0)
        feed.ready.wait(0.05)  # the first bytes are a few milliseconds away; start with them
        self.pump()
        self._timer.start(PUMP_MS)
        return True

    def keep_up(
        self, mark: object, wanted: bool, begin: Callable[[], tuple[AudioFeed, Clock, float]]
    ) -> None:
        """After every poll: a new play (``mark`` changed: its first frame is on screen) restarts the
        sound, with ``begin()`` (feed, clock, start time) if ``wanted``; a play the sound no longer suits
        (paused, ended, too fast, muted) stops it."""
        if mark != self._mark:
            self._mark = mark
            self.stop()
            if wanted:
                self.play(*begin())
        elif self.playing and not wanted:
            self.stop()

    def pump(self) -> None:
        """Top the device up from the feed."""
        if self._sink is None or self._io is None or self.feed is None:
            return
        if self.feed.error:
            self.problem = f"no sound: {self.feed.error}"
            self.stop()
            return
        free = self._sink.bytesFree()
        if free >= FRAME_BYTES:
            data = self.feed.read(free)
            if data:
                self.written += int(self._io.write(data))

    def consumed(self) -> float:
        """Seconds of sound the device has taken in this play."""
        return self._sink.processedUSecs() / 1e6 if self._sink is not None else 0.0

    def follow(self) -> None:
        """Bring the picture's clock to the sound (the player calls it before it asks for a frame)."""
        if self.master is None or self.feed is None:
            return
        self.pump()
        self.master.follow(self.consumed(), ended=self.feed.ended)
        if self.master.stalled:
            self.problem = "sound stopped: the audio device is not playing"
            self.stop(keep_problem=True)

    def stop(self, keep_problem: bool = False) -> None:
        self._timer.stop()
        if self._sink is not None:
            self._sink.reset()  # at once: what is queued is dropped, not played out
            self._sink.deleteLater()
        if self.feed is not None:
            self.feed.close()
        self._sink = self._io = self.feed = None
        self.master = None
        if not keep_problem and not MULTIMEDIA_ERROR:
            self.problem = ""


def wants_sound(muted: bool, has_sound: bool, playing: bool, speed: float, every_frame: bool) -> bool:
    """Whether a play should sound: not muted, forwards up to 2x, and not playing every frame (there the
    picture is the master clock: it may slow down, the sound cannot)."""
    return not muted and has_sound and playing and audible(speed) and not every_frame


def sound_state(sound: SoundOut, muted: bool, playing: bool, speed: float, every_frame: bool = False) -> str:
    """What the overlay says about the sound (of something that has sound)."""
    if muted:
        return "muted"
    if sound.problem:
        return sound.problem
    if playing and not audible(speed):
        return "no sound at this speed"
    if playing and every_frame:
        return "no sound when playing every frame"
    return "sound" if sound.playing else ""


def take_feed(engine: PlaybackEngine, path: Path | None = None) -> AudioFeed:
    """The sound of the play ``engine`` has just started: from its first frame, over its in-out range,
    looping as the picture does, at its speed; from ``path`` when given (a proxy's original: the proxy
    has the original's frame times and no sound)."""
    assert engine.index is not None
    status = engine.status
    frame, _t0 = engine.start
    last = len(engine.index) - 1
    lo = min(status.in_point or 0, last)
    hi = min(status.out_point if status.out_point is not None else last, last)
    lo_s, hi_s = range_seconds(engine.index, lo, hi)
    start_s = engine.index.pts_seconds(min(frame, last))
    return AudioFeed(
        path or Path(engine.path), start_s, speed=status.speed, lo_s=lo_s, hi_s=hi_s, loop=status.loop
    )


def sound_output() -> str:
    """What plays the sound on this machine, for ``--version`` and the About box."""
    if MULTIMEDIA_ERROR:
        return MULTIMEDIA_ERROR
    from PySide6.QtCore import QCoreApplication

    _app = QCoreApplication.instance() or QCoreApplication([])  # QMediaDevices needs one
    device = QMediaDevices.defaultAudioOutput()
    return f"QtMultimedia, {'no output device' if device.isNull() else device.description()}"
