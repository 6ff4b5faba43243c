"""What a file says about whether AI made it: the evidence items of ``reviewer.store.disclosure``.

Read in the ingest workers, strongest first:
- a **C2PA** manifest (``reviewer.media.credentials``): trusted ("c2pa") or intact but signed by a
  certificate no anchor of the project vouches for ("c2pa-untrusted"); one that does not validate or
  cannot be read is reported ("c2pa-invalid", "c2pa-unreadable") and decides nothing;
- the **AIGC label** of China's labelling rules (GB 45438-2025), a JSON object under the ``AIGC`` key of
  the container's metadata, written by Kling, Hailuo and other services: ``Label`` 1 (generated), 2
  (possibly) or 3 (suspected), ``ContentProducer``, ``ProduceID``;
- IPTC's **DigitalSourceType** in an XMP packet (``Iptc4xmpExt:DigitalSourceType``);
- **generator metadata** we already read (ComfyUI graphs, VideoHelperSuite, A1111 infotext, LTX names).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reviewer.ingest.provenance import Provenance, clean_text
from reviewer.media import credentials
from reviewer.store.disclosure import EVIDENCE_KINDS, REPORT_ONLY

AIGC_LABELS = {"1": "generated", "2": "possibly generated", "3": "suspected generated"}
# XMP sits at the start or the end of a file (MP4: a uuid box or moov/udta; PNG/GIF: a text chunk):
# reading the first and the last few MB finds it without reading a whole take.
XMP_SPAN = 4 * 1024 * 1024
_XMP_SOURCE = re.compile(rb"Iptc4xmpExt:DigitalSourceType\s*(?:=\s*[\"']|>)\s*([^\"'<\s]{1,200})")


def _item(kind: str, ai: bool | None, line: str, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "ai": ai, "line": line, **more}


def from_c2pa(path: Path, trust_pem: str = "") -> dict[str, Any] | None:
    try:
        found = credentials.read(path, trust_pem)
    except credentials.CredentialsError as exc:
        return _item("c2pa-unreadable", None, str(exc))
    except OSError as exc:
        return _item("c2pa-unreadable", None, f"C2PA manifest not read: {exc.strerror or exc}")
    if found is None:
        return None
    kind = {"trusted": "c2pa", "untrusted": "c2pa-untrusted", "invalid": "c2pa-invalid"}[found.validation]
    ai = None if kind == "c2pa-invalid" else found.generated()
    return _item(kind, ai, credentials.summary(found), c2pa=found.as_dict())


def from_aigc(tags: dict[str, str]) -> dict[str, Any] | None:
    raw = next((v for k, v in tags.items() if k.lower() == "aigc"), None)
    if raw is None:
        return None
    try:
        label = json.loads(raw)
    except ValueError:
        return _item("aigc-label", True, "AIGC label (not readable JSON): generated")
    if not isinstance(label, dict):
        return _item("aigc-label", True, "AIGC label: generated")
    value = clean_text(label.get("Label", ""), 10)
    said = AIGC_LABELS.get(value, "generated")
    producer = clean_text(label.get("ContentProducer", ""), 100)
    produce_id = clean_text(label.get("ProduceID", ""), 100)
    parts = [f"AIGC label: {said}"]
    if producer:
        parts.append(f"producer {producer}")
    if produce_id:
        parts.append(f"id {produce_id}")
    return _item(
        "aigc-label", True, ", ".join(parts), aigc={"label": value, "producer": producer, "id": produce_id}
    )


def from_xmp(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            head = f.read(XMP_SPAN)
            size = f.seek(0, 2)
            tail = b""
            if size > XMP_SPAN:
                f.seek(max(XMP_SPAN, size - XMP_SPAN))
                tail = f.read(XMP_SPAN)
    except OSError:
        return None
    match = _XMP_SOURCE.search(head) or _XMP_SOURCE.search(tail)
    if match is None:
        return None
    source = credentials.short_type(match.group(1).decode("ascii", "replace"))
    if source in credentials.GENERATED_TYPES:
        ai: bool | None = True
    elif source in credentials.NOT_GENERATED_TYPES:
        ai = False
    else:
        ai = None
    return _item("iptc", ai, f"IPTC digital source type in XMP: {source}")


def from_generator(prov: Provenance) -> dict[str, Any] | None:
    if not (prov.generator or prov.model or prov.prompt or prov.seed):
        return None
    who = prov.generator or prov.model or "a generator"
    where = f" ({prov.source})" if prov.source else ""
    return _item("generator-metadata", True, f"{who} generation metadata{where}")


ORDER = {kind: i for i, kind in enumerate((*EVIDENCE_KINDS, *REPORT_ONLY))}


def read_evidence(
    path: Path, tags: dict[str, str], prov: Provenance, trust_pem: str = ""
) -> list[dict[str, Any]]:
    """Every piece of evidence the file gives, strongest first (an empty list: none)."""
    found = [from_c2pa(path, trust_pem), from_aigc(tags), from_xmp(path), from_generator(prov)]
    items = [f for f in found if f is not None]
    return sorted(items, key=lambda i: ORDER.get(i["kind"], len(ORDER)))
