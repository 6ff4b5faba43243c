"""A PulseAudio server of the test session's own, with a null sink: a real sound device for the player's
tests on a machine without a sound card (CI), and never the developer's speakers.

The null sink sleeps for up to two seconds while nothing plays, and a stream that starts then waits
for it to wake; a silent stream kept playing holds it awake, as a sound card is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CONFIG = """\
load-module module-native-protocol-unix socket={socket} auth-anonymous=1
load-module module-null-sink sink_name=review_null rate=48000 sink_properties=device.description=Review-Null
set-default-sink review_null
"""


@dataclass
class SoundServer:
    server: str  # for PULSE_SERVER
    daemon: subprocess.Popen[bytes]
    keepalive: subprocess.Popen[bytes]
    log: BinaryIO

    def stop(self) -> None:
        for process in (self.keepalive, self.daemon):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


def start(directory: Path) -> SoundServer:
    daemon_bin, pacat = shutil.which("pulseaudio"), shutil.which("pacat")
    if not daemon_bin or not pacat or not shutil.which("pactl"):
        raise RuntimeError("pulseaudio and pacat are not installed (Debian: pulseaudio, pulseaudio-utils)")
    socket = directory / "native"
    config = directory / "server.pa"
    config.write_text(CONFIG.format(socket=socket))
    env = dict(os.environ, HOME=str(directory), PULSE_RUNTIME_PATH=str(directory / "run"),
               PULSE_STATE_PATH=str(directory / "state"), XDG_RUNTIME_DIR=str(directory))  # fmt: skip
    log = open(directory / "pulse.log", "wb")  # noqa: SIM115 - the daemon keeps it
    daemon = subprocess.Popen(
        [daemon_bin, "-n", "-F", str(config), "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
         "--realtime=no", "--high-priority=no", "--log-target=stderr"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = f"unix:{socket}"
    deadline = time.monotonic() + 10
    while not socket.exists():
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            log.close()
            raise RuntimeError(f"pulseaudio did not start: {(directory / 'pulse.log').read_text()[-500:]}")
        time.sleep(0.05)
    keepalive = subprocess.Popen(
        [pacat, f"--server={server}", "--latency-msec=20", "--rate=48000", "--channels=2",
         "--format=s16le", "--playback", "/dev/zero"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # The sink runs once the silent stream plays; give it a moment to settle at a low latency.
    deadline = time.monotonic() + 10
    while "RUNNING" not in _sinks(server, env):
        if keepalive.poll() is not None or time.monotonic() > deadline:
            SoundServer(server, daemon, keepalive, log).stop()
            raise RuntimeError("the null sink did not start running")
        time.sleep(0.05)
    time.sleep(1.0)
    return SoundServer(server, daemon, keepalive, log)


def _sinks(server: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["pactl", f"--server={server}", "list", "short", "sinks"], env=env, capture_output=True, text=True
    )
    return result.stdout
