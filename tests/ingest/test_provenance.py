"""Provenance readers on real-shaped inputs, and on garbage (which must yield nothing, never raise)."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.ingest.provenance import (
    MAX_TEXT,
    from_filename,
    from_sidecar,
    from_tags,
    parse_infotext,
    png_text_chunks,
    read_provenance,
)

GRAPH = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 18446744073709551614, "steps": 30, "cfg": 6.5,
          "sampler_name": "euler", "positive": ["10", 0], "negative": ["7", 0], "model": ["4", 0]}},
    "4": {"class_type": "UNETLoader", "inputs": {"unet_name": "wan2.2_t2v_14B.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red truck at dawn", "clip": ["8", 0]}},
    "10": {"class_type": "ConditioningCombine", "inputs": {"conditioning_1": ["6", 0], "conditioning_2": ["6", 0]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, extra fingers", "clip": ["8", 0]}},
    "5": {"class_type": "EmptyHunyuanLatentVideo", "inputs": {"width": 832, "height": 480, "length": 81}},
}  # fmt: skip


def test_comfyui_prompt_tag_follows_links_to_the_prompt() -> None:
    prov = from_tags({"PROMPT": json.dumps(GRAPH)})
    assert prov.generator == "ComfyUI"
    assert prov.prompt == "a red truck at dawn"
    assert prov.negative_prompt == "blurry, extra fingers"
    assert prov.seed == "18446744073709551614"  # beyond a signed 64-bit integer: kept exactly
    assert prov.model == "wan2.2_t2v_14B.safetensors"
    assert prov.params["steps"] == 30 and prov.params["width"] == 832 and prov.params["length"] == 81
    assert prov.source == "tag:prompt (ComfyUI)"


def test_old_videohelpersuite_comment_with_nested_json() -> None:
    prov = from_tags({"comment": json.dumps({"prompt": json.dumps(GRAPH), "workflow": "{}"})})
    assert prov.prompt == "a red truck at dawn" and prov.seed == "18446744073709551614"


def test_a1111_infotext() -> None:
    text = (
        "a red truck, (dust:1.2)\nsecond line\nNegative prompt: blurry\n"
        'Steps: 20, Sampler: DPM++ 2M, CFG scale: 7, Seed: 42, Size: 512x512, Model: sd15, Lora hashes: "a: 1, b: 2"'
    )
    prov = parse_infotext(text)
    assert prov.prompt == "a red truck, (dust:1.2)\nsecond line"
    assert prov.negative_prompt == "blurry"
    assert prov.seed == "42" and prov.model == "sd15"
    assert prov.params["Sampler"] == "DPM++ 2M" and prov.params["Lora hashes"] == "a: 1, b: 2"


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return out


def test_first_frame_png_text_chunks(tmp_path: Path) -> None:
    video = tmp_path / "take_0001.mp4"
    video.write_bytes(b"")
    itxt = b"prompt\x00\x01\x00\x00\x00" + zlib.compress(json.dumps(GRAPH).encode())
    (tmp_path / "take_0001.png").write_bytes(_png([(b"IHDR", b"\0" * 13), (b"iTXt", itxt), (b"IEND", b"")]))
    prov = read_provenance(video, {})
    assert prov.prompt == "a red truck at dawn" and prov.source == "sidecar .png"


def test_json_and_txt_sidecars_and_shot_field(tmp_path: Path) -> None:
    video = tmp_path / "clip.mov"
    (tmp_path / "clip.json").write_text(
        json.dumps({"prompt": "a truck", "seed": 7, "model": "m1", "shot": "sh 20"})
    )
    prov = read_provenance(video, {})
    assert (prov.prompt, prov.seed, prov.model, prov.shot) == ("a truck", "7", "m1", "sh 20")
    (tmp_path / "other.txt").write_text("just a prompt, nothing else")
    assert from_sidecar(tmp_path / "other.txt").prompt == "just a prompt, nothing else"


def test_embedded_tags_win_over_sidecars_which_fill_gaps(tmp_path: Path) -> None:
    video = tmp_path / "a.mkv"
    (tmp_path / "a.json").write_text(json.dumps({"prompt": "sidecar prompt", "seed": 1, "shot": "SH030"}))
    prov = read_provenance(video, {"prompt": json.dumps(GRAPH)})
    assert prov.prompt == "a red truck at dawn"
    assert prov.shot == "SH030"
    assert prov.source == "tag:prompt (ComfyUI), sidecar .json"


def test_ltx_video_file_name() -> None:
    prov = from_filename(Path("video_output_0_a-red-truck-at-dawn_171198_480x704x121_0.mp4"))
    assert prov.generator == "LTX-Video" and prov.seed == "171198"
    assert prov.prompt == "a red truck at dawn"
    assert (prov.params["height"], prov.params["width"], prov.params["num_frames"]) == (480, 704, 121)
    assert from_filename(Path("SH010_take_3.mp4")).empty()


def test_text_is_plain_and_bounded() -> None:
    graph = {
        "1": {
            "class_type": "CLIPTextEncode",
            "inputs": {"text": "<b>bold</b>\x00\x1b[31m" + "y" * (2 * MAX_TEXT)},
        }
    }
    prov = from_tags({"prompt": json.dumps(graph)})
    assert "\x00" not in prov.prompt and "\x1b" not in prov.prompt
    assert prov.prompt.startswith("<b>bold</b>[31m")  # shown as text, never interpreted
    assert len(prov.prompt) <= MAX_TEXT + 10


def test_deeply_nested_json_does_not_crash() -> None:
    assert from_tags({"prompt": "[" * 100_000 + "]" * 100_000}).empty()
    assert from_tags({"comment": "{" * 50_000}).empty()


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["prompt", "workflow", "comment", "PROMPT", "x"]), st.text(max_size=300))
)
def test_any_tag_text_is_survived(tags: dict[str, str]) -> None:
    from_tags(tags)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
                    max_leaves=40))  # fmt: skip
def test_any_json_shape_is_survived(value: object) -> None:
    from_tags({"prompt": json.dumps(value), "comment": json.dumps({"prompt": value})})


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_as_png_are_survived(data: bytes) -> None:
    png_text_chunks(b"\x89PNG\r\n\x1a\n" + data)


# LTX-Video text-to-video as ComfyUI's own example graph writes it: LTXVConditioning takes and gives both
# positive and negative, and the sampler's negative is its output 1.
LTXV = {
    "38": {"class_type": "CLIPLoader", "inputs": {"clip_name": "t5xxl_fp16.safetensors", "type": "ltxv"}},
    "44": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "ltx-video-2b-v0.9.5.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red truck crossing a desert at dawn", "clip": ["38", 0]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "low quality, worst quality, deformed", "clip": ["38", 0]}},
    "69": {"class_type": "LTXVConditioning", "inputs": {"positive": ["6", 0], "negative": ["7", 0], "frame_rate": 25}},
    "70": {"class_type": "EmptyLTXVLatentVideo", "inputs": {"width": 768, "height": 512, "length": 97, "batch_size": 1}},
    "71": {"class_type": "LTXVScheduler", "inputs": {"steps": 30, "max_shift": 2.05, "base_shift": 0.95,
           "stretch": True, "terminal": 0.1, "latent": ["70", 0]}},
    "73": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
    "72": {"class_type": "SamplerCustom", "inputs": {"add_noise": True, "noise_seed": 497797676867141, "cfg": 3,
           "model": ["44", 0], "positive": ["69", 0], "negative": ["69", 1], "sampler": ["73", 0],
           "sigmas": ["71", 0], "latent_image": ["70", 0]}},
}  # fmt: skip


def test_a_node_that_gives_positive_and_negative_is_followed_by_its_output() -> None:
    prov = from_tags({"prompt": json.dumps(LTXV)})
    assert prov.prompt == "a red truck crossing a desert at dawn"
    assert prov.negative_prompt == "low quality, worst quality, deformed"  # output 1: the negative
    assert prov.seed == "497797676867141" and prov.model == "ltx-video-2b-v0.9.5.safetensors"
    assert prov.params["steps"] == 30 and prov.params["cfg"] == 3 and prov.params["sampler_name"] == "euler"
    assert prov.params["sampler_node"] == "SamplerCustom" and prov.params["length"] == 97


# Two stages of SamplerCustomAdvanced (a Wan-style base pass, then a refining pass on the upscaled
# latent), each with its own RandomNoise, CFGGuider and BasicScheduler; the graph lists the second first,
# and its nodes come from a subgraph (ids "20:..."), as the current front end flattens them.
TWO_STAGE = {
    "20:31": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["20:32", 0], "guider": ["20:33", 0],
              "sampler": ["12", 0], "sigmas": ["20:34", 0], "latent_image": ["40", 0]}},
    "20:32": {"class_type": "RandomNoise", "inputs": {"noise_seed": 222}},
    "20:33": {"class_type": "CFGGuider", "inputs": {"cfg": 1.0, "model": ["1", 0], "positive": ["21", 0],
              "negative": ["21", 1]}},
    "20:34": {"class_type": "BasicScheduler", "inputs": {"scheduler": "simple", "steps": 8, "denoise": 0.4,
              "model": ["1", 0]}},
    "40": {"class_type": "LatentUpscaleBy", "inputs": {"scale_by": 1.5, "samples": ["11", 0]}},
    "11": {"class_type": "SamplerCustomAdvanced", "inputs": {"noise": ["13", 0], "guider": ["14", 0],
           "sampler": ["12", 0], "sigmas": ["15", 0], "latent_image": ["21", 2]}},
    "12": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "uni_pc"}},
    "13": {"class_type": "RandomNoise", "inputs": {"noise_seed": 111}},
    "14": {"class_type": "CFGGuider", "inputs": {"cfg": 5.0, "model": ["1", 0], "positive": ["21", 0],
           "negative": ["21", 1]}},
    "15": {"class_type": "BasicScheduler", "inputs": {"scheduler": "beta", "steps": 30, "denoise": 1.0,
           "model": ["1", 0]}},
    "21": {"class_type": "WanImageToVideo", "inputs": {"positive": ["2", 0], "negative": ["3", 0], "vae": ["4", 0],
           "width": 832, "height": 480, "length": 81, "batch_size": 1, "start_image": ["5", 0]}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "the truck drives towards camera", "clip": ["6", 0]}},
    "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "morphing, extra wheels", "clip": ["6", 0]}},
    "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "wan2.1_i2v_480p_14B_fp16.safetensors"}},
}  # fmt: skip


def test_a_two_stage_pipeline_takes_the_first_stage_seed_and_keeps_every_sampler() -> None:
    prov = from_tags({"prompt": json.dumps(TWO_STAGE)})
    assert prov.prompt == "the truck drives towards camera"
    assert prov.negative_prompt == "morphing, extra wheels"  # WanImageToVideo's output 1
    assert prov.seed == "111"  # the first stage's, though the graph lists the refiner first
    assert prov.params["steps"] == 30 and prov.params["cfg"] == 5.0 and prov.params["scheduler"] == "beta"
    assert prov.params["sampler_name"] == "uni_pc"
    stages = prov.params["samplers"]
    assert [(s["seed"], s["steps"], s["denoise"]) for s in stages] == [("111", 30, 1.0), ("222", 8, 0.4)]
    assert prov.model == "wan2.1_i2v_480p_14B_fp16.safetensors"


def test_a_workflow_with_subgraphs_is_read_inside_them() -> None:
    workflow = {
        "nodes": [{"id": 9, "type": "20a1b2c3-subgraph", "widgets_values": []}],
        "definitions": {"subgraphs": [{"id": "20a1b2c3-subgraph", "nodes": [
            {"id": 1, "type": "CLIPTextEncode", "title": "Positive", "widgets_values": ["a lighthouse in fog"]},
            {"id": 2, "type": "CLIPTextEncode", "title": "Negative Prompt", "widgets_values": ["text, watermark"]},
            {"id": 3, "type": "RandomNoise", "widgets_values": [8675309, "fixed"]},
            {"id": 4, "type": "UNETLoader", "widgets_values": ["hunyuan_video_t2v_720p.safetensors", "default"]},
        ]}]},
    }  # fmt: skip
    prov = from_tags({"workflow": json.dumps(workflow)})
    assert prov.prompt == "a lighthouse in fog" and prov.negative_prompt == "text, watermark"
    assert prov.seed == "8675309" and prov.model == "hunyuan_video_t2v_720p.safetensors"


def test_infotext_names_the_web_ui_from_its_version() -> None:
    line = "Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Version: {}"
    cases = {
        "f2.0.1v1.10.1-previous-636-gb835f24a": "Forge f2.0.1v1.10.1-previous-636-gb835f24a",
        "v1.10.1": "A1111 v1.10.1",
        "reForge-v1.10.1-1234": "reForge reForge-v1.10.1-1234",
    }
    for version, generator in cases.items():
        assert parse_infotext("a cat\n" + line.format(version)).generator == generator
    sdnext = parse_infotext("a cat\nSteps: 20, Seed: 1, App: SD.Next, Version: 6c8a3b1")
    assert sdnext.generator == "SD.Next 6c8a3b1"
    assert parse_infotext("a cat\nSteps: 20, Seed: 1").generator == "A1111"
