"""Provenance differences between compared takes: fields and prompt words."""

from __future__ import annotations

from reviewer.review.compare import Piece, differing_fields, word_diff


def marked(pieces: list[Piece]) -> list[str]:
    return [p.text for p in pieces if p.changed]


def test_changed_words_are_marked_and_the_text_is_kept_whole() -> None:
    ref = "A red pickup truck on a desert road at dawn"
    other = "A blue pickup truck on a  desert highway at dawn, dust trail"
    pieces = word_diff(ref, other)
    assert "".join(p.text for p in pieces) == other  # spacing kept exactly
    assert marked(pieces) == ["blue", "highway", "dawn, dust trail"]
    assert marked(word_diff(ref, ref)) == []
    assert marked(word_diff("", "anything new")) == ["anything new"]
    assert marked(word_diff("Same WORDS", "same words")) == []  # case alone is not a change


def test_differing_fields_names_only_what_differs() -> None:
    a = {"prompt": "truck", "model": "wan", "seed": "1", "params": {"cfg": 5}, "generator": "ComfyUI"}
    b = {**a, "seed": "2", "params": {"cfg": 6}}
    assert differing_fields([a, b]) == ["seed", "params"]
    assert differing_fields([a, dict(a)]) == []
    assert differing_fields([a, {**a, "prompt": "truck at dawn"}, a]) == ["prompt"]
