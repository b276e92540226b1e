"""``mit-trainer analyze --words/--no-words``: the word tier in the JSON and the summary, on by default
for English, null with a note for a language without a model, one-line errors still one line."""

from __future__ import annotations

import json

import pytest
import soundfile as sf
from voices import festival_speak

from mit_trainer.cli.main import main

YAML = """format: mit-phrases/1
name: Words
language: {lang}
phrases:
  - id: good-morning
    text: Good morning
    level: 1
    syllables: [good, mor, ning]
    pattern: [H, H, L]
"""


@pytest.fixture(scope="module")
def wav(tmp_path_factory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("cli")
    x, sr = festival_speak("Good morning", voice="kal")
    sf.write(d / "gm.wav", x, sr)
    return d / "gm.wav"


def _run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_words_on_by_default_for_english(tmp_path, wav, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "p.yaml").write_text(YAML.format(lang="en"))
    code, out, _ = _run(capsys, "analyze", str(wav), "--phrases", str(tmp_path / "p.yaml"),
                        "--phrase", "good-morning", "--mode", "spoken", "--json")  # fmt: skip
    assert code == 0
    js = json.loads(out)
    assert [(w["text"], w["status"]) for w in js["words"]] == [("good", "said"), ("morning", "said")]
    assert js["words_note"] is None
    code, out, _ = _run(capsys, "analyze", str(wav), "--phrases", str(tmp_path / "p.yaml"),
                        "--phrase", "good-morning", "--mode", "spoken")  # fmt: skip
    assert "words: good said  morning said" in out


def test_no_words_switches_it_off(tmp_path, wav, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "p.yaml").write_text(YAML.format(lang="en"))
    code, out, _ = _run(capsys, "analyze", str(wav), "--phrases", str(tmp_path / "p.yaml"),
                        "--phrase", "good-morning", "--no-words", "--json")  # fmt: skip
    assert code == 0
    js = json.loads(out)
    assert js["words"] is None and js["words_note"] == "word check switched off"


def test_language_without_model_is_null_with_a_note(tmp_path, wav, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "p.yaml").write_text(YAML.format(lang="nl"))
    code, out, err = _run(capsys, "analyze", str(wav), "--phrases", str(tmp_path / "p.yaml"),
                          "--phrase", "good-morning", "--words", "--json")  # fmt: skip
    assert code == 0 and err == ""
    js = json.loads(out)
    assert js["words"] is None
    assert "no word model for language 'nl'" in js["words_note"]
