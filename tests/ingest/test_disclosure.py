"""AI disclosure on evidence: C2PA manifests (signed at test time with a chain of the test's own), the
AIGC label, generator metadata, folder rules, reviewers' declarations and the project default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer.errors import KnownError
from reviewer.ingest.ingest import TRUST_KEY, ingest, set_trust_anchors
from reviewer.review import disclosure
from reviewer.review.decisions import history, undo
from reviewer.store import models as m
from reviewer.store import queries
from reviewer.store.db import Project
from tests.certs import make_chain, sign_as, with_tags
from tests.conftest import ClipFactory, place

AIGC = {
    "Label": "1",
    "ContentProducer": "001191110108MA01KP2T5U00000",
    "ProduceID": "kling-7f3a",
    "ReservedCode1": "",
}


@pytest.fixture
def footage(tmp_path: Path, clip: ClipFactory) -> Path:
    root = tmp_path / "media"
    chain = make_chain(tmp_path / "certs", "Google LLC")
    base = clip(".mp4", codec="h264", seed=21, frames=8, width=160, height=90)
    sign_as(base, root / "renders" / "veo_take.mp4", chain)
    sign_as(base, root / "plates" / "camera_signed.mp4", chain, source_type="digitalCapture", agent="")
    with_tags(base, root / "renders" / "kling_take.mp4", {"AIGC": json.dumps(AIGC)})
    place(
        clip(".mp4", codec="h264", seed=22, frames=8, width=160, height=90), root / "plates" / "A001_C003.mp4"
    )
    place(clip(".mov", codec="prores", seed=23, frames=6, width=160, height=90), root / "stock" / "bbb.mov")
    broken = bytearray((root / "renders" / "veo_take.mp4").read_bytes())
    at = broken.find(b"c2pa.signature")
    broken[at + 40 : at + 80] = bytes(40)
    (root / "renders" / "veo_damaged.mp4").write_bytes(bytes(broken))
    (tmp_path / "ca.pem").write_bytes(chain.ca_pem.read_bytes())
    return root


def takes(project: Project) -> dict[str, m.Take]:
    with project.sessions() as session:
        return {t.name: t for t in session.scalars(select(m.Take))}


def test_evidence_decides_and_no_evidence_is_unknown(project: Project, footage: Path) -> None:
    ingest(project, [footage], workers=0)
    t = takes(project)
    veo = t["veo_take.mp4"]
    assert (veo.ai_generated, veo.ai_basis) == (True, "c2pa-untrusted")
    assert "signed by Google LLC" in veo.ai_basis_text and "trainedAlgorithmicMedia" in veo.ai_basis_text
    assert "not on the trust list" in veo.ai_basis_text
    camera = t["camera_signed.mp4"]
    assert (camera.ai_generated, camera.ai_basis) == (False, "c2pa-untrusted")
    kling = t["kling_take.mp4"]
    assert (kling.ai_generated, kling.ai_basis) == (True, "aigc-label")
    assert "kling-7f3a" in kling.ai_basis_text
    for name in ("A001_C003.mp4", "bbb.mov"):
        assert (t[name].ai_generated, t[name].ai_basis) == (None, "default"), name
    # a damaged manifest is a reason on the take, not a failed ingest, and decides nothing
    damaged = t["veo_damaged.mp4"]
    assert damaged.ai_generated is None and damaged.ai_basis == "default"
    assert "C2PA manifest unreadable" in damaged.ai_basis_text
    with project.sessions() as session:
        ids = list(session.scalars(select(m.Take.id)))
        rows = {r["name"]: r for r in queries.take_rows(session, ids)}
    assert rows["veo_take.mp4"]["c2pa"]["issuer"] == "Google LLC"
    assert rows["veo_take.mp4"]["c2pa"]["digital_source_types"] == ["trainedAlgorithmicMedia"]
    assert rows["veo_take.mp4"]["c2pa"]["validation"] == "untrusted"
    assert rows["veo_take.mp4"]["c2pa"]["codes"] == ["signingCredential.untrusted"]
    assert rows["veo_take.mp4"]["ai_basis"] == "c2pa-untrusted"
    assert rows["veo_damaged.mp4"]["c2pa"]["validation"] == "unreadable"
    assert rows["bbb.mov"]["c2pa"] is None and rows["bbb.mov"]["ai_generated"] is None


def test_a_trust_anchor_makes_the_signer_trusted(project: Project, footage: Path) -> None:
    project.set_setting(TRUST_KEY, str(footage.parent / "ca.pem"))
    ingest(project, [footage / "renders"], workers=0)
    veo = takes(project)["veo_take.mp4"]
    assert (veo.ai_generated, veo.ai_basis) == (True, "c2pa")
    assert "not on the trust list" not in veo.ai_basis_text


def test_folder_rule_declaration_and_default_are_logged_and_ordered(project: Project, footage: Path) -> None:
    ingest(project, [footage], workers=0)
    _, covered = disclosure.add_rule(project, "plates/", "camera", why="camera originals", reviewer="ana")
    assert covered == 2
    t = takes(project)
    plate = t["A001_C003.mp4"]
    assert (plate.ai_generated, plate.ai_basis) == (False, "rule")
    assert "plates/" in plate.ai_basis_text and "camera originals" in plate.ai_basis_text
    # file evidence outranks a rule: the signed camera clip keeps its manifest as basis
    assert t["camera_signed.mp4"].ai_basis == "c2pa-untrusted"
    with project.sessions() as session:
        log = [h.text for h in history(session, plate.id)]
    assert any("declared not AI-generated (folder rule)" in line for line in log)

    # a reviewer's declaration outranks everything, is an event with who and why, and undoes
    change = disclosure.declare(
        project, t["bbb.mov"].id, "no", why="Big Buck Bunny, licensed stock", reviewer="ben"
    )
    stock = takes(project)["bbb.mov"]
    assert (stock.ai_generated, stock.ai_basis) == (False, "declared")
    assert stock.ai_basis_text == "declared not AI-generated by ben: Big Buck Bunny, licensed stock"
    with project.sessions() as session:
        assert (
            "declared not AI-generated: Big Buck Bunny, licensed stock" in history(session, stock.id)[0].text
        )
        assert session.get(m.TakeState, stock.id).note_count == 0  # the reason is not a note on the picture
    undo(project, change.event_ids, reviewer="ben")
    assert takes(project)["bbb.mov"].ai_basis == "default"

    # the project default answers for takes with nothing else
    assert disclosure.set_default(project, "yes") >= 1
    stock = takes(project)["bbb.mov"]
    assert (stock.ai_generated, stock.ai_basis) == (True, "default")
    assert takes(project)["A001_C003.mp4"].ai_basis == "rule"
    assert disclosure.remove_rule(project, "plates/", reviewer="ana") == 2
    assert takes(project)["A001_C003.mp4"].ai_basis == "default"
    assert disclosure.counts(project)["no"] == 1  # the signed camera clip


def test_a_rule_by_path_inside_a_root_and_new_takes_under_it(
    project: Project, footage: Path, clip: ClipFactory
) -> None:
    ingest(project, [footage], workers=0)
    rule, covered = disclosure.add_rule(project, str(footage / "renders"), "yes", reviewer="ana")
    assert rule.root and rule.folder == "renders" and covered == 3
    place(
        clip(".mp4", codec="h264", seed=24, frames=6, width=160, height=90),
        footage / "renders" / "new_render.mp4",
    )
    ingest(project, [footage], workers=0)
    new = takes(project)["new_render.mp4"]
    assert (new.ai_generated, new.ai_basis) == (True, "rule")
    with pytest.raises(Exception, match="in no media root"):
        disclosure.add_rule(project, "/nowhere/at/all", "no")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Exit code and what was printed, stdout then stderr."""
    from reviewer import cli

    code = cli.main(list(args))
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def test_from_declaring_plates_to_signed_selects_and_verify(
    tmp_path: Path, footage: Path, clip: ClipFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    import c2pa

    place(
        clip(".webm", codec="vp9", seed=25, frames=6, width=160, height=90), footage / "renders" / "wan.webm"
    )
    proj = str(tmp_path / "p.trproj")
    assert run(capsys, "ingest", proj, str(footage), "--no-proxies")[0] == 0
    # the camera plates of a project in one command
    code, out = run(capsys, "declare", proj, "no", "plates/", "--why", "camera originals")
    assert code == 0 and "covers 2 takes" in out
    code, out = run(capsys, "takes", proj, "--json", "--ai", "no")
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["name"] for r in rows) == ["A001_C003.mp4", "camera_signed.mp4"]
    assert {r["name"]: r["ai_basis"] for r in rows} == {
        "A001_C003.mp4": "rule",
        "camera_signed.mp4": "c2pa-untrusted",
    }
    code, out = run(capsys, "declare", proj, "yes", "wan.webm", "--why", "Wan 2.2 render")
    assert code == 0
    for name in ("veo_take.mp4", "wan.webm", "A001_C003.mp4"):
        run(capsys, "decide", proj, name, "--keep")

    # no certificate: the copies come out, and the export says they carry no manifest
    code, out = run(
        capsys, "export", proj, "-f", "selects", "--stage", "Triage", "-o", str(tmp_path / "plain")
    )
    assert code == 0 and "No signing certificate is set" in out

    chain = make_chain(tmp_path / "ours", "Our Studio", passphrase=b"s3cret")
    args = ["disclosure", proj, "--sign-cert", str(chain.chain_pem), "--sign-key", str(chain.key_pem)]
    code, out = run(capsys, *args)
    assert code == 1 and "REVIEWER_C2PA_PASSPHRASE" in out  # the key is encrypted and no passphrase is given
    os_env = pytest.MonkeyPatch()
    os_env.setenv("REVIEWER_C2PA_PASSPHRASE", "s3cret")
    try:
        code, out = run(capsys, *args)
        assert code == 0 and f"selects signed with {chain.chain_pem}" in out
        code, out = run(
            capsys, "export", proj, "-f", "selects", "--stage", "Triage", "-o", str(tmp_path / "l"), "--link"
        )
        assert code == 1 and "Hard links cannot be signed" in out
        selects = tmp_path / "selects"
        code, out = run(capsys, "export", proj, "-f", "selects", "--stage", "Triage", "-o", str(selects))
        assert code == 0
    finally:
        os_env.undo()
    copies = sorted(p.name for p in selects.iterdir())
    veo = selects / next(n for n in copies if "veo_take" in n)
    with open(veo, "rb") as f:
        store = json.loads(c2pa.Reader("video/mp4", f).json())
    active = store["manifests"][store["active_manifest"]]
    assert active["signature_info"]["issuer"] == "Our Studio"
    assert active["claim_generator_info"][0]["name"] == "Take Reviewer"
    review = next(a["data"] for a in active["assertions"] if a["label"] == "com.takereviewer.review")
    assert (review["verdict"], review["stage"], review["ai_basis"]) == ("kept", "Triage", "c2pa-untrusted")
    (parent,) = active["ingredients"]
    assert parent["relationship"] == "parentOf" and parent["title"] == "veo_take.mp4"
    assert (
        store["manifests"][parent["active_manifest"]]["signature_info"]["issuer"] == "Google LLC"
    )  # its own kept
    actions = next(
        a["data"]["actions"] for a in active["assertions"] if a["label"].startswith("c2pa.actions")
    )
    assert actions[0]["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
    # WebM cannot hold a manifest: a sidecar beside the copy, bound to its bytes
    webm = next(n for n in copies if n.endswith(".webm"))
    assert f"{webm}.c2pa" in copies

    code, out = run(
        capsys, "verify", str(veo), str(selects / webm), str(selects / next(n for n in copies if "A001" in n))
    )
    assert code == 0  # every copy carries a manifest that holds (untrusted: no anchor given)
    lines = out.splitlines()
    assert lines[0].startswith(f"{veo}: UNTRUSTED")
    assert any("signed by Our Studio" in line for line in lines)
    assert any("signed by Google LLC" in line for line in lines)  # the chain goes on into the source
    assert any("assertions com.takereviewer.review" in line for line in lines)
    assert any(line.startswith(f"{selects / webm}: UNTRUSTED") for line in lines)
    code, out = run(capsys, "verify", str(veo), "--trust-anchors", str(chain.ca_pem), "--json")
    assert code == 0 and json.loads(out)["manifest"]["validation"] == "trusted"
    # a copy changed after signing is invalid, and says how
    tampered = bytearray(veo.read_bytes())
    tampered[tampered.find(b"mdat") + 100] ^= 0xFF  # a byte of the pictures
    veo.write_bytes(bytes(tampered))
    code, out = run(capsys, "verify", str(veo))
    assert code == 1 and "INVALID" in out and "mismatch" in out


XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")  # Adobe's XMP box in ISO BMFF


def with_xmp(src: Path, dst: Path, source_type: str) -> Path:
    """``src`` with an XMP packet in a top-level uuid box at its end, as Adobe's tools write it."""
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType='
        f'"http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}"/></rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    ).encode()
    box = (8 + 16 + len(packet)).to_bytes(4, "big") + b"uuid" + XMP_UUID + packet
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes() + box)
    return dst


def test_iptc_source_type_in_xmp(project: Project, tmp_path: Path, clip: ClipFactory) -> None:
    base = clip(".mp4", codec="h264", seed=26, frames=6, width=160, height=90)
    media = tmp_path / "xmp"
    with_xmp(base, media / "firefly.mp4", "compositeWithTrainedAlgorithmicMedia")
    with_xmp(base, media / "camera.mp4", "digitalCapture")
    ingest(project, [media], workers=0)
    t = takes(project)
    assert (t["firefly.mp4"].ai_generated, t["firefly.mp4"].ai_basis) == (True, "iptc")
    assert "compositeWithTrainedAlgorithmicMedia" in t["firefly.mp4"].ai_basis_text
    assert (t["camera.mp4"].ai_generated, t["camera.mp4"].ai_basis) == (False, "iptc")


def test_new_trust_anchors_read_the_signed_takes_again(project: Project, footage: Path) -> None:
    ingest(project, [footage], workers=0)
    assert takes(project)["veo_take.mp4"].ai_basis == "c2pa-untrusted"
    assert set_trust_anchors(project, footage.parent / "ca.pem") == 3  # the two signed, the damaged one
    report = ingest(project, [footage], workers=0)
    assert report.updated == 3
    assert takes(project)["veo_take.mp4"].ai_basis == "c2pa"
    with pytest.raises(KnownError, match="Cannot read the C2PA trust anchors"):
        set_trust_anchors(project, footage / "nowhere.pem")


def test_xmp_outside_iso_bmff_is_found_near_the_start(tmp_path: Path) -> None:
    from reviewer.ingest.evidence import from_xmp

    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a" + bytes(100) + b'<x:xmpmeta Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/'
                    b'newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>' + bytes(3 * 1024 * 1024))  # fmt: skip
    found = from_xmp(gif)
    assert found is not None and found["ai"] is True and found["kind"] == "iptc"
    # a box claiming to be larger than the file, or an endless chain of boxes, ends the walk: nothing found
    hostile = tmp_path / "h.mp4"
    hostile.write_bytes(
        (24).to_bytes(4, "big") + b"ftypisom" + bytes(12) + (2**31).to_bytes(4, "big") + b"uuid"
    )
    assert from_xmp(hostile) is None
