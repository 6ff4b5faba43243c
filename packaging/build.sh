#!/usr/bin/env bash
# Build Take Reviewer from a clean checkout: a wheel and an sdist, and the one-folder app (PyInstaller)
# with Linux desktop integration, packed as dist/TakeReviewer-VERSION-linux-ARCH.tar.gz.
#   bash packaging/build.sh          # everything, in build/ and dist/
# Needs Python 3.11+ and network access to PyPI (a private venv under build/ holds the tools).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
root=$(pwd)
build=$root/build/packaging
dist=$root/dist
rm -rf "$build" && mkdir -p "$build" "$dist"
"$PYTHON" -m venv "$build/venv"
py="$build/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade pip build "pyinstaller>=6.10"
echo "== wheel and sdist" >&2
"$py" -m build --outdir "$dist" . >"$build/build.log" 2>&1 || { tail -30 "$build/build.log"; exit 1; }
version=$("$py" -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")
wheel=$(ls "$dist"/take_reviewer-"$version"-*.whl)
echo "== installing the wheel into the build environment (what gets frozen)" >&2
"$py" -m pip install --quiet --disable-pip-version-check "$wheel"
echo "== PyInstaller" >&2
app=$build/app
"$build/venv/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath "$app" --workpath "$build/work" \
  packaging/take-reviewer.spec
echo "== desktop integration, icons, licences" >&2
share=$app/share
mkdir -p "$share/applications" "$share/mime/packages"
cp packaging/linux/io.takereviewer.TakeReviewer.desktop "$share/applications/"
cp packaging/linux/io.takereviewer.TakeReviewer.xml "$share/mime/packages/"
QT_QPA_PLATFORM=offscreen "$py" packaging/make_icons.py resources/icon.svg "$share"
cp packaging/linux/install.sh "$app/"
cp packaging/README.md "$app/README-packaging.md"
"$py" packaging/licenses.py >"$app/THIRD_PARTY_LICENSES.txt"
arch=$(uname -m)
tarball=$dist/TakeReviewer-$version-linux-$arch.tar.gz
tar -C "$app" -czf "$tarball" .
echo "built: $wheel, $(ls "$dist"/take_reviewer-"$version".tar.gz), $tarball" >&2
echo "$app"
