#!/usr/bin/env bash
# The few system packages Take Reviewer needs beyond Python's own, installed from Debian/Ubuntu's
# archive when they are missing (and we are root, or have sudo). Elsewhere it says what to install.
#   gui:  the libraries Qt's X11 (xcb) platform plugin loads, and libpulse (QtMultimedia's sound output,
#         which also talks to PipeWire's PulseAudio service)
#   test: ffmpeg (the tests compare our probe with ffprobe; the benchmarks time ffmpeg), poppler-utils
#         (the tests read the contact sheet PDF back with pdftotext), postgresql (the store and team
#         tests start a throwaway server of their own on a private socket) and what Qt's offscreen
#         platform loads, and pulseaudio with its utilities (the player's sound tests start a server of
#         their own with a null sink: a real sound device on a machine without a sound card)
set -euo pipefail
what=${1:-test}
gui=(libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
     libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libpulse0)
test=(ffmpeg poppler-utils postgresql libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libpulse0
      pulseaudio pulseaudio-utils)
case "$what" in
  gui) wanted=("${gui[@]}") ;;
  test) wanted=("${test[@]}") ;;
  *) echo "usage: $0 gui|test" >&2; exit 2 ;;
esac
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "Not a Debian-like system: install the equivalents of: ${wanted[*]}" >&2
  exit 0
fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
  echo "Please install: ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
