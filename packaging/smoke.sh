#!/usr/bin/env bash
# Smoke test of a built app: it starts offscreen, writes the demo project, opens it in the GUI, loads
# every take, and exits 0; and a wheel installs into a clean venv and finds its resources.
#   bash packaging/smoke.sh [APP_DIR]   (default: build/packaging/app)
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:-build/packaging/app}
exe="$app/TakeReviewer/take-reviewer"
[ -x "$exe" ] || { echo "no built app at $exe: run packaging/build.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM=offscreen HOME="$work/home" TAKE_REVIEWER_CACHE="$work/cache"
mkdir -p "$HOME"
"$exe" --version | tee "$work/version.txt"
# The sound output loads in the frozen app (QtMultimedia and its plugins bundled), device or not.
grep -q "^sound: QtMultimedia" "$work/version.txt" || { echo "the app cannot load QtMultimedia" >&2; exit 1; }
# and C2PA's native library (c2pa-rs, loaded by ctypes from the bundle)
grep -q "^C2PA: [0-9]" "$work/version.txt" || { echo "the app cannot load the C2PA library" >&2; exit 1; }
"$exe" demo "$work/demo" --no-gui
"$exe" open "$work/demo" --quit-after-load
# watch folders (watchdog's observers bundled): a take put into a watched folder is ingested
mkdir -p "$work/generated"
cp "$(find "$work/demo" -name '*.mp4' | head -1)" "$work/generated/new_take.mp4"
touch -d '1 minute ago' "$work/generated/new_take.mp4"
"$exe" watch "$work/demo" "$work/generated" --once --no-analysis | tee "$work/watch.txt"
grep -q "Ingested new_take.mp4" "$work/watch.txt" || { echo "the app's watch did not ingest the take" >&2; exit 1; }
"$exe" export "$work/demo" --format otio --stage Triage -o "$work/cut.otio"
"$exe" export "$work/demo" --format pdf --stage Triage -o "$work/sheet.pdf"
echo "== the wheel in a clean venv" >&2
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check dist/take_reviewer-*.whl
# From elsewhere than the checkout, so that the installed package is the one imported.
(cd "$work" && "$work/venv/bin/python" -c "import reviewer, pathlib; from reviewer.review.keymap import default_keymap; \
from reviewer.store.db import head_revision; assert 'site-packages' in reviewer.__file__, reviewer.__file__; \
print('wheel:', pathlib.Path(reviewer.__file__).parent, 'keymap', len(default_keymap()), 'schema', head_revision())" \
  && "$work/venv/bin/reviewer" --version | head -1)
echo "smoke test passed" >&2
