#!/usr/bin/env bash
# Install the built app for the current user: the program under ~/.local/opt, a take-reviewer command
# in ~/.local/bin, the desktop file, the icons (hicolor, every size and SVG) and the MIME type for
# .trproj files. Run from the unpacked build (the folder holding TakeReviewer/ and share/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
mkdir -p "$prefix/opt" "$prefix/bin" "$prefix/share"
rm -rf "$prefix/opt/TakeReviewer"
cp -a "$here/TakeReviewer" "$prefix/opt/TakeReviewer"
ln -sf "$prefix/opt/TakeReviewer/take-reviewer" "$prefix/bin/take-reviewer"
cp -a "$here/share/." "$prefix/share/"
command -v update-mime-database >/dev/null && update-mime-database "$prefix/share/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
echo "Installed: $prefix/bin/take-reviewer (and the desktop entry Take Reviewer)"
