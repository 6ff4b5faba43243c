"""Signing certificates made at test time: an ES256 chain of a CA and an end-entity certificate with
the extensions C2PA asks of a claim signer (digitalSignature, an extended key usage of the C2PA list,
subject and authority key identifiers). Nothing is kept between runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Chain:
    ca_pem: Path  # the root: a trust anchor when a test wants the signer trusted
    chain_pem: Path  # the signer's certificate then the CA's, as C2PA signers give them
    key_pem: Path  # the signer's private key (PKCS#8; encrypted when a passphrase was given)
    organization: str


def _name(common: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )


def make_chain(folder: Path, organization: str = "Test Studio", passphrase: bytes | None = None) -> Chain:
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organization} Root CA", organization)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organization} signer", organization))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    ca_pem, chain_pem, key_pem = folder / "ca.pem", folder / "chain.pem", folder / "signer.key"
    ca_pem.write_bytes(ca.public_bytes(pem))
    chain_pem.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    key_pem.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption))
    return Chain(ca_pem, chain_pem, key_pem, organization)


def sign_as(
    src: Path,
    dst: Path,
    chain: Chain,
    source_type: str = "trainedAlgorithmicMedia",
    agent: str = "Veo 3",
    generator: str = "Google C2PA Core Generator Library",
) -> Path:
    """Sign ``src`` into ``dst`` the way a video service does: ``c2pa.created`` with the digital source
    type, by ``agent``, with ``generator`` as the claim generator."""
    import c2pa

    action: dict[str, object] = {
        "action": "c2pa.created",
        "digitalSourceType": f"http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}",
    }
    if agent:
        action["softwareAgent"] = {"name": agent}
    manifest = {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": dst.name,
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [action]}}],
    }
    info = c2pa.C2paSignerInfo(
        alg=b"es256",
        sign_cert=chain.chain_pem.read_bytes(),
        private_key=chain.key_pem.read_bytes(),
        ta_url=None,
    )
    mime = {".mov": "video/quicktime", ".avi": "video/x-msvideo"}.get(src.suffix.lower(), "video/mp4")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as s, open(dst, "w+b") as o:
        c2pa.Builder(manifest).sign(c2pa.Signer.from_info(info), mime, s, o)
    return dst


def with_tags(src: Path, dst: Path, tags: dict[str, str]) -> Path:
    """``src`` remuxed into ``dst`` (MP4) with these container tags in moov/udta/meta (mdta keys), as
    Kling and Hailuo write their AIGC label."""
    import av

    dst.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata.update(tags)
        streams = {
            s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("video", "audio")
        }
        for packet in inp.demux(*[inp.streams[i] for i in streams]):
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst
