"""List the licences of everything installed in the build environment (what the frozen app bundles)."""

from __future__ import annotations

import sys
from importlib import metadata

NOTE = """Take Reviewer bundles the components below. Notably:
- FFmpeg, inside PyAV's wheels, is built with GPL parts (x264, x265 and others): the bundled FFmpeg is
  under the GPL, and so is an app distributed with it. See https://pyav.org and FFmpeg's own notices.
- Qt (PySide6) is used under the LGPL v3; it is linked dynamically and its libraries can be replaced.
"""


def main() -> None:
    rows = []
    for dist in metadata.distributions():
        name = dist.metadata.get("Name") or "?"
        licence = dist.metadata.get("License-Expression") or dist.metadata.get("License") or ""
        if not licence or len(licence) > 80:
            classifiers = [
                c.split(" :: ")[-1]
                for c in dist.metadata.get_all("Classifier") or []
                if c.startswith("License")
            ]
            licence = ", ".join(classifiers) or (
                licence.splitlines()[0][:80] if licence else "see the package"
            )
        rows.append((name.lower(), name, dist.version, licence))
    out = [NOTE, f"{'component':32} {'version':14} licence", "-" * 80]
    out += [f"{name:32} {version:14} {licence}" for _, name, version, licence in sorted(rows)]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
