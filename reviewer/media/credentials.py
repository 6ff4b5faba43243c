"""Content Credentials (C2PA): a file's manifests read offline, and copies signed with a manifest of ours.

Reading and signing go through ``c2pa-python``, the Content Authenticity Initiative's own bindings to
c2pa-rs, always offline: no remote manifest is fetched, no OCSP responder is asked and no time-stamp
server is used (a signature carries the signer's own time). A manifest that cannot be read or does not
validate is reported as such (``Credentials.validation`` "invalid" or ``CredentialsError``), never
raised through an ingest.

Validation comes in three words: "trusted" (the signer chains to a trust anchor the project gave),
"untrusted" (the manifest is intact and signed, but by a certificate no anchor of ours vouches for: the
usual case, since c2pa-rs ships no trust list of its own) and "invalid" (the file or the manifest was
changed after signing, or the signature does not hold), each with c2pa's status codes.

Formats the library cannot embed a manifest in (WebM, Matroska) get a sidecar ``.c2pa`` beside the file,
bound to the file's bytes by a data hash; ``read`` looks for one.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reviewer.errors import KnownError

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
# IPTC digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/) that say a trained model
# made the picture, or part of it; and those that say it did not. Anything else decides nothing.
GENERATED_TYPES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
NOT_GENERATED_TYPES = frozenset(
    {
        "digitalCapture", "negativeFilm", "positiveFilm", "print", "minorHumanEdits", "humanEdits",
        "compositeCapture", "algorithmicallyEnhanced", "screenCapture", "virtualRecording", "digitalArt",
        "dataDrivenMedia", "algorithmicMedia",
    }
)  # fmt: skip
# c2pa's codes that mean only "no anchor of ours vouches for this signer", not that anything is wrong
UNTRUSTED_CODES = frozenset({"signingCredential.untrusted"})
SIDECAR_SUFFIX = ".c2pa"
# Container formats by file extension: what the library embeds in, and those that get a sidecar.
MIME_TYPES = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".avi": "video/x-msvideo",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".tif": "image/tiff", ".tiff": "image/tiff", ".avif": "image/avif",
    ".heic": "image/heic", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
}  # fmt: skip
SIDECAR_TYPES = {".webm": "video/webm", ".mkv": "video/x-matroska", ".mxf": "application/mxf"}
OFFLINE = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
PASSPHRASE_ENV = "REVIEWER_C2PA_PASSPHRASE"


class CredentialsError(KnownError):
    """A manifest that is there but cannot be read (damaged, hostile, unsupported)."""


def library_version() -> str:
    """ "0.38.1 (c2pa-rs 0.91.3)", or why the native library does not load (shown by --version)."""
    from importlib import metadata

    try:
        import c2pa

        sdk = str(c2pa.sdk_version()).split()[-1]
        return f"{metadata.version('c2pa-python')} (c2pa-rs {sdk})"
    except Exception as exc:  # a frozen app without the native library says so instead of failing
        return f"not loadable: {_reason(exc)}"


def short_type(uri: str) -> str:
    """``trainedAlgorithmicMedia`` for the IPTC URI (or the short name itself)."""
    return uri.rsplit("/", 1)[-1].strip()


@dataclass
class Manifest:
    """One manifest of a file's chain, as ``reviewer verify`` prints it."""

    label: str
    title: str
    claim_generator: str
    issuer: str
    signed_at: str
    actions: list[str]
    digital_source_types: list[str]
    agents: list[str]
    ingredients: list[dict[str, str]]  # title, relationship, manifest label ("" when it has none)
    assertions: list[str]


@dataclass
class Credentials:
    """What a file's active manifest, and the manifests it brings along, say."""

    claim_generator: str
    issuer: str
    digital_source_types: list[str]  # short IPTC names, over the whole chain, active manifest first
    actions: list[str]
    agents: list[str]  # software agents and AI models the assertions name
    ingredients: list[str]
    validation: str  # trusted / untrusted / invalid
    codes: list[str]  # c2pa's failure codes
    sidecar: bool = False
    chain: list[Manifest] = field(default_factory=list)

    def generated(self) -> bool | None:
        """True when a trained model made the picture (or part of it), False when the manifest says
        another source, None when it says nothing about the source."""
        types = set(self.digital_source_types)
        if types & GENERATED_TYPES:
            return True
        if types & NOT_GENERATED_TYPES:
            return False
        return None

    def as_dict(self) -> dict[str, Any]:
        """The ``c2pa`` object of ``reviewer takes --json`` and of the take's stored evidence."""
        out = asdict(self)
        del out["chain"]
        return out


def _context(trust_pem: str = "") -> Any:
    import c2pa

    settings: dict[str, Any] = {"verify": dict(OFFLINE["verify"])}
    if trust_pem:
        settings["trust"] = {"trust_anchors": trust_pem}
    return c2pa.Context(c2pa.Settings.from_dict(settings))


def _text(value: Any, limit: int = 300) -> str:
    return str(value).strip()[:limit] if isinstance(value, str | int | float) else ""


def _agent(value: Any) -> str:
    if isinstance(value, dict):
        name, version = _text(value.get("name")), _text(value.get("version"))
        return f"{name} {version}".strip()
    return _text(value)


def _generator(manifest: dict[str, Any]) -> str:
    infos = manifest.get("claim_generator_info")
    if isinstance(infos, list):
        names = [
            _agent({k: v for k, v in i.items() if k in ("name", "version")})
            for i in infos
            if isinstance(i, dict)
        ]
        if any(names):
            return ", ".join(n for n in names if n)
    return _text(manifest.get("claim_generator"))


def _manifest(label: str, manifest: dict[str, Any]) -> Manifest:
    actions: list[str] = []
    types: list[str] = []
    agents: list[str] = []
    assertions: list[str] = []
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict):
            continue
        name = _text(assertion.get("label"))
        assertions.append(name)
        data = assertion.get("data")
        if not isinstance(data, dict):
            continue
        if name.startswith("c2pa.actions"):
            for action in data.get("actions") or []:
                if not isinstance(action, dict):
                    continue
                actions.append(_text(action.get("action")).removeprefix("c2pa."))
                if action.get("digitalSourceType"):
                    types.append(short_type(_text(action["digitalSourceType"])))
                if action.get("softwareAgent"):
                    agents.append(_agent(action["softwareAgent"]))
        # older generative-AI assertions and vendors' own name the model in a field of its own
        for key in ("model", "models", "modelName", "ai_model"):
            value = data.get(key)
            for item in value if isinstance(value, list) else [value]:
                if _agent(item):
                    agents.append(_agent(item))
        if data.get("digitalSourceType"):
            types.append(short_type(_text(data["digitalSourceType"])))
    found_signature = manifest.get("signature_info")
    signature: dict[str, Any] = found_signature if isinstance(found_signature, dict) else {}
    ingredients = [
        {
            "title": _text(i.get("title")),
            "relationship": _text(i.get("relationship")),
            "manifest": _text(i.get("active_manifest")),
        }
        for i in manifest.get("ingredients") or []
        if isinstance(i, dict)
    ]
    return Manifest(
        label=label,
        title=_text(manifest.get("title")),
        claim_generator=_generator(manifest),
        issuer=_text(signature.get("issuer")),
        signed_at=_text(signature.get("time")),
        actions=list(dict.fromkeys(a for a in actions if a)),
        digital_source_types=list(dict.fromkeys(t for t in types if t)),
        agents=list(dict.fromkeys(a for a in agents if a)),
        ingredients=ingredients,
        assertions=assertions,
    )


def _walk(store: dict[str, Any], label: str, seen: set[str]) -> Iterator[Manifest]:
    """The manifest ``label`` and then those of its ingredients, depth first, each once."""
    found_manifests = store.get("manifests")
    manifests: dict[str, Any] = found_manifests if isinstance(found_manifests, dict) else {}
    if label in seen or label not in manifests or not isinstance(manifests[label], dict):
        return
    seen.add(label)
    found = _manifest(label, manifests[label])
    yield found
    for ingredient in found.ingredients:
        if ingredient["manifest"]:
            yield from _walk(store, ingredient["manifest"], seen)


def _validation(state: str, store: dict[str, Any]) -> tuple[str, list[str]]:
    results = store.get("validation_results")
    failures: list[Any] = []
    if isinstance(results, dict) and isinstance(results.get("activeManifest"), dict):
        failures = results["activeManifest"].get("failure") or []
    elif isinstance(store.get("validation_status"), list):
        failures = store["validation_status"]
    codes = list(dict.fromkeys(_text(f.get("code")) for f in failures if isinstance(f, dict)))
    if state.lower() == "trusted":
        return "trusted", codes
    if state.lower() == "valid" and set(codes) <= UNTRUSTED_CODES:
        return "untrusted", codes
    return "invalid", codes or [f"state.{state.lower() or 'unknown'}"]


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _reader(path: Path, trust_pem: str) -> tuple[Any, bool] | None:
    import c2pa

    context = _context(trust_pem)
    suffix = path.suffix.lower()
    sidecar = sidecar_of(path)
    try:
        if suffix in MIME_TYPES:
            with open(path, "rb") as stream:
                try:
                    return c2pa.Reader(MIME_TYPES[suffix], stream, context=context), False
                except c2pa.C2paError.ManifestNotFound:
                    if not sidecar.is_file():
                        return None
        if sidecar.is_file() and sidecar.stat().st_size < 64 * 1024 * 1024:
            mime = MIME_TYPES.get(suffix) or SIDECAR_TYPES.get(suffix) or "application/octet-stream"
            with open(path, "rb") as stream:
                return c2pa.Reader(mime, stream, manifest_data=sidecar.read_bytes(), context=context), True
        return None
    except c2pa.C2paError.ManifestNotFound:
        return None
    except c2pa.C2paError as exc:
        raise CredentialsError(f"C2PA manifest unreadable: {_reason(exc)}") from None


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def read(path: Path, trust_pem: str = "") -> Credentials | None:
    """The file's Content Credentials (embedded, or in a sidecar ``.c2pa``), None when it has none.

    Raises ``CredentialsError`` for a manifest that is there but cannot be read."""
    opened = _reader(path, trust_pem)
    if opened is None:
        return None
    reader, sidecar = opened
    try:
        store = json.loads(reader.json())
        state = str(reader.get_validation_state() or "")
    except Exception as exc:  # the library's own errors and a JSON it cannot make: a reason, not a crash
        raise CredentialsError(f"C2PA manifest unreadable: {_reason(exc)}") from None
    finally:
        reader.close()
    if not isinstance(store, dict):
        raise CredentialsError("C2PA manifest unreadable: not a manifest store")
    chain = list(_walk(store, _text(store.get("active_manifest")), set()))
    if not chain:
        raise CredentialsError("C2PA manifest store without an active manifest")
    validation, codes = _validation(state, store)
    active = chain[0]
    types = list(dict.fromkeys(t for m in chain for t in m.digital_source_types))
    return Credentials(
        claim_generator=active.claim_generator,
        issuer=active.issuer,
        digital_source_types=types,
        actions=active.actions,
        agents=list(dict.fromkeys(a for m in chain for a in m.agents)),
        ingredients=[i["title"] for i in active.ingredients],
        validation=validation,
        codes=codes,
        sidecar=sidecar,
        chain=chain,
    )


def summary(c: Credentials) -> str:
    """One line: "C2PA manifest signed by Google LLC: created, trainedAlgorithmicMedia"."""
    who = c.issuer or c.claim_generator or "an unnamed signer"
    words = [*c.actions[:3], *c.digital_source_types[:2]]
    trust = {"trusted": "", "untrusted": " (signer not on the trust list)", "invalid": " INVALID"}[
        c.validation
    ]
    what = f": {', '.join(words)}" if words else ""
    agents = f"; by {', '.join(c.agents[:2])}" if c.agents else ""
    codes = f" [{', '.join(c.codes[:3])}]" if c.validation == "invalid" else ""
    return f"C2PA manifest{' (sidecar)' if c.sidecar else ''} signed by {who}{trust}{what}{agents}{codes}"


# --- signing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """A certificate chain (PEM: the signer first) and its private key, from files the project names."""

    certificate: Path
    key: Path
    algorithm: str = "es256"

    def signer(self) -> Any:
        import c2pa
        from cryptography.hazmat.primitives import serialization

        try:
            chain = self.certificate.read_bytes()
            key_bytes = self.key.read_bytes()
        except OSError as exc:
            raise KnownError(f"Cannot read the signing certificate or key: {exc.strerror or exc}") from None
        passphrase = os.environ.get(PASSPHRASE_ENV, "").encode() or None
        try:
            key = serialization.load_pem_private_key(key_bytes, password=passphrase)
        except TypeError:
            raise KnownError(
                f"The signing key is encrypted: give its passphrase in {PASSPHRASE_ENV}"
            ) from None
        except ValueError as exc:
            raise KnownError(f"Cannot load the signing key {self.key}: {_reason(exc)}") from None
        plain = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        info = c2pa.C2paSignerInfo(
            alg=self.algorithm.encode(), sign_cert=chain, private_key=plain, ta_url=None
        )
        try:
            return c2pa.Signer.from_info(info)
        except c2pa.C2paError as exc:
            raise KnownError(f"Cannot sign with {self.certificate}: {_reason(exc)}") from None


def can_embed(path: Path) -> bool:
    return path.suffix.lower() in MIME_TYPES


def sign_copy(
    source: Path,
    dest: Path,
    signer: Any,
    *,
    title: str,
    claim_generator: tuple[str, str],
    digital_source_type: str | None,
    assertion: tuple[str, dict[str, Any]],
) -> Path:
    """Copy ``source`` to ``dest`` with a manifest of ours: the source as its parent ingredient (its own
    manifest kept), "opened" with the digital source type the evidence gave, and ``assertion`` (label,
    data). Formats the library cannot embed in get a sidecar beside ``dest``; returns where the manifest
    went."""
    import c2pa

    action: dict[str, Any] = {"action": "c2pa.opened", "parameters": {"ingredientIds": ["source"]}}
    if digital_source_type:
        action["digitalSourceType"] = IPTC + digital_source_type
    label, data = assertion
    name, version = claim_generator
    manifest = {
        "claim_generator_info": [{"name": name, "version": version}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": [action]}},
            {"label": label, "data": data},
        ],
    }
    suffix = source.suffix.lower()
    mime = MIME_TYPES.get(suffix) or SIDECAR_TYPES.get(suffix) or "application/octet-stream"
    try:
        builder = c2pa.Builder(manifest, context=_context())
        ingredient = {"title": source.name, "relationship": "parentOf", "label": "source"}
        with open(source, "rb") as stream:
            builder.add_ingredient(ingredient, mime, stream)
        if can_embed(dest):
            with open(source, "rb") as src, open(dest, "w+b") as out:
                builder.sign(signer, mime, src, out)
            return dest
        builder.set_no_embed()
        with open(source, "rb") as src:
            data_bytes = builder.sign(signer, mime, src, io.BytesIO())
        _copy(source, dest)
        side = sidecar_of(dest)
        side.write_bytes(data_bytes)
        return side
    except c2pa.C2paError as exc:
        dest.unlink(missing_ok=True)
        raise KnownError(f"Cannot sign {source.name}: {_reason(exc)}") from None


def _copy(source: Path, dest: Path) -> None:
    import shutil

    shutil.copyfile(source, dest)
