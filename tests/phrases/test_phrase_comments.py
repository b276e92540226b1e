"""Whole-line comments survive the editor's canonical rewrite; ids come from the text."""

from __future__ import annotations

from mit_trainer.core.phrase_comments import carry_comments, id_from_text

ORIGINAL = """# header line 1
# header line 2

format: mit-phrases/1
name: test
language: en
phrases:
  # greeting comes first
  - id: hello
    text: Hello   # an end-of-line comment is not kept
    level: 1
  # thanks
  # (two lines)
  - id: thank-you
    text: Thank you
    level: 1
# the end
"""

CANONICAL = """format: mit-phrases/1
name: test
language: en
phrases:
  - id: thank-you
    text: Thank you
    level: 1
  - id: hello
    text: Hello there
    level: 1
  - id: new-one
    text: New one
    level: 1
"""


def test_comments_follow_their_phrase_by_id() -> None:
    out = carry_comments(ORIGINAL, CANONICAL)
    assert out.startswith("# header line 1\n# header line 2\nformat: mit-phrases/1\n")
    assert "  # thanks\n  # (two lines)\n  - id: thank-you" in out
    assert "  # greeting comes first\n  - id: hello\n    text: Hello there" in out
    assert "  - id: new-one" in out and out.endswith("# the end\n")
    assert "end-of-line" not in out


def test_no_comments_leaves_the_text_alone() -> None:
    assert carry_comments(CANONICAL, CANONICAL) == CANONICAL


def test_ids_from_text() -> None:
    assert id_from_text("Thank you!") == "thank-you"
    assert id_from_text("I'd like a café, please") == "i-d-like-a-cafe-please"
    assert id_from_text("Thank you", {"thank-you", "thank-you-2"}) == "thank-you-3"
    assert id_from_text("¿?") == "phrase"
    assert len(id_from_text("word " * 40)) <= 48
