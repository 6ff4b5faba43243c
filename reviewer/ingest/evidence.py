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
from typing import Any, BinaryIO

from reviewer.ingest.provenance import Provenance, clean_text
from reviewer.media import credentials
from reviewer.store.disclosure import EVIDENCE_KINDS, REPORT_ONLY

AIGC_LABELS = {"1": "generated", "2": "possibly generated", "3": "suspected generated"}
# XMP in MP4 and MOV is a top-level uuid box, found by walking the boxes; elsewhere (PNG, GIF: a text
# chunk) it sits near the start or the end, and the first and last MB are searched.
XMP_SPAN = 1024 * 1024
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")  # Adobe's XMP box in ISO BMFF
MAX_XMP = 4 * 1024 * 1024
MAX_BOXES = 10_000
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


def _bmff_xmp(f: BinaryIO, size: int) -> bytes | None:
    """The XMP packet of an ISO BMFF file (MP4, MOV): Adobe's top-level uuid box, found by walking the
    top-level boxes (a few reads, whatever the file's size); None when the file is not BMFF."""
    at, boxes = 0, 0
    while at + 8 <= size and boxes < MAX_BOXES:
        f.seek(at)
        header = f.read(32)
        if len(header) < 8:
            return b""
        length, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if boxes == 0 and kind != b"ftyp":
            return None
        head = 8
        if length == 1 and len(header) >= 16:
            length, head = int.from_bytes(header[8:16], "big"), 16
        elif length == 0:
            length = size - at
        if length < head:
            return b""
        if kind == b"uuid" and header[head : head + 16] == XMP_UUID:
            f.seek(at + head + 16)
            return f.read(min(length - head - 16, MAX_XMP))
        at, boxes = at + length, boxes + 1
    return b""


def from_xmp(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            packet = _bmff_xmp(f, size)
            if packet is None:  # PNG, GIF, WebP, AVI...: the packet is near the start or the end
                f.seek(0)
                packet = f.read(XMP_SPAN)
                if size > XMP_SPAN:
                    f.seek(max(XMP_SPAN, size - XMP_SPAN))
                    packet += f.read(XMP_SPAN)
    except OSError:
        return None
    at = packet.find(b"Iptc4xmpExt:DigitalSourceType")
    match = _XMP_SOURCE.match(packet, at) if at >= 0 else None
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
