"""'Record my model' end to end on the fake audio device: record, check, keep, use, export, delete.

The therapist is Festival singing the phrase (right, or with the pattern upside down) into the fake
microphone after the dialog's count-in; truth is the notes Festival was given. The session is started
through the patients page with the model voice source set to the recorded model, and the dialog is
opened from the session panel and from the phrase editor. The dialog's screenshots go to a temporary
folder, or to ``$MIT_TRAINER_SCREENSHOTS`` when set (``docs/screenshots/record-model-*.png`` were made so).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import soxr

from mit_trainer.core.records import Phrase
from tests.app.festival_singer import Sung, sing

SET_YAML = """\
format: mit-phrases/1
name: Recorded model test
language: en
phrases:
  - id: thank-you
    text: Thank you
    level: 1
    syllables: [thank, you]
    pattern: [H, L]
    beats: [1, 2]
"""


def _at(sung: Sung, rate: int) -> np.ndarray:
    return soxr.resample(sung.samples, sung.sample_rate_hz, rate).astype(np.float32)


def _take(qtbot: Any, rig: Any, dialog: Any, sung: Sung, *, click: str = "record") -> Any:
    """Press Record (or Try again), sing after the count-in, wait for the check."""
    from mit_trainer.audio.fake_clock import RATE_HZ

    before = dialog.take
    dialog.buttons[click].click()
    assert dialog.is_recording()
    rig.mic.say(_at(sung, RATE_HZ), after_s=dialog.target.count_in_s + 0.05)
    qtbot.waitUntil(lambda: dialog.take is not None and dialog.take is not before, timeout=60000)
    return dialog.take


def _start_session(qtbot: Any, rig: Any) -> None:
    from mit_trainer.gui import wiring
    from mit_trainer.storage import Consents, PatientSettings

    s, window = rig.services, rig.window
    folder = wiring.user_phrases_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recmodel-test.yaml").write_text(SET_YAML)
    s.settings = dataclasses.replace(s.settings, model_source="recorded")
    s.store.add_patient("P300", Consents(research=True), settings=PatientSettings(low_note_hz=120.0, level=1))
    s.store.add_therapist("Ann", pin_hash=None)
    window.unlock_as(s.store.list_therapists()[0])
    s.therapist = s.store.list_therapists()[0]
    patients = window.pages["patients"]
    patients.reload(select_code="P300")
    qtbot.waitUntil(lambda: patients.settings is not None, timeout=20000)
    idx = next(
        i
        for i in range(patients.phrase_set.count())
        if patients.phrase_set.itemText(i).startswith("recmodel-test")
    )
    patients.phrase_set.setCurrentIndex(idx)
    patients.start.click()
    qtbot.waitUntil(lambda: s.controller.session is not None and s.controller.view is not None, timeout=30000)


@pytest.mark.slow
def test_record_check_keep_use_export_delete(qtbot: Any, rig: Any, tmp_path: Path) -> None:
    from mit_trainer.app.export import export_dataset

    shots = Path(os.environ.get("MIT_TRAINER_SCREENSHOTS") or tmp_path)
    s, window, c = rig.services, rig.window, rig.services.controller
    _start_session(qtbot, rig)
    phrase: Phrase = c.session.current_phrase()
    assert phrase.id == "thank-you"
    right, wrong = sing(phrase), sing(phrase, invert=True)
    panel = window.pages["session"]
    window.show_page("session")
    assert panel.buttons["record_model"].isEnabled()
    panel.buttons["record_model"].click()
    dialog = window.record_model_dialog
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=5000)
    dialog.resize(900, 860)
    assert dialog.target.tempo_bpm == 60.0 and dialog.target.low_hz == 120.0
    assert not dialog.buttons["keep"].isEnabled() and not dialog.buttons["keep_anyway"].isEnabled()

    # 1. a take sung upside down: not kept without a reason; Try again removes it
    take = _take(qtbot, rig, dialog, wrong)
    assert take.verdict == "fail" and take.checks()[0].produced == "L"
    assert not dialog.buttons["keep"].isEnabled() and dialog.buttons["keep_anyway"].isEnabled()
    assert dialog.table.rowCount() == 2 and dialog.table.item(0, 2).text() == "L"
    assert "does not match" in dialog.status.text()
    dialog.grab().save(str(shots / "record-model-mismatch.png"))
    dialog.ask_reason = lambda: "   "
    dialog.buttons["keep_anyway"].click()
    assert "only with a reason" in dialog.status.text() and dialog.take is take
    first_file = take.path
    assert first_file.exists()

    # 2. Try again, sung right: Keep
    take = _take(qtbot, rig, dialog, right, click="try_again")
    assert not first_file.exists()
    assert (
        take.passed and dialog.buttons["keep"].isEnabled() and not dialog.buttons["keep_anyway"].isEnabled()
    )
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["H", "L"]
    dialog.grab().save(str(shots / "record-model-match.png"))
    dialog.buttons["keep"].click()
    qtbot.waitUntil(lambda: dialog.list.rowCount() == 1, timeout=20000)
    [kept] = s.store.list_recorded_models()
    assert kept.accepted and kept.therapist_id == s.therapist.id and kept.phrase_set == "Recorded model test"

    # 3. another upside-down take, kept anyway with a reason
    _take(qtbot, rig, dialog, wrong)
    dialog.ask_reason = lambda: "falling start for this patient"
    dialog.buttons["keep_anyway"].click()
    qtbot.waitUntil(lambda: dialog.list.rowCount() == 2, timeout=20000)
    insisted = s.store.list_recorded_models()[0]
    assert not insisted.accepted and insisted.insisted_reason == "falling start for this patient"
    assert dialog.list.item(0, 4).text() == "falling start for this patient"
    assert dialog.list.item(1, 3).text() == "pass" and dialog.list.item(1, 2).text() == "60 BPM"
    assert not dialog.buttons["try_again"].isEnabled() and not dialog.buttons["keep_anyway"].isEnabled()
    dialog.list.selectRow(1)
    assert dialog.buttons["play"].isEnabled() and dialog.buttons["delete"].isEnabled()
    assert not dialog.buttons["try_again"].isEnabled() and dialog.buttons["record"].isEnabled()
    dialog.grab().save(str(shots / "record-model-list.png"))
    # Play the selected model: it goes to the loudspeaker
    played_before = rig.mic.device.played_audio().size
    dialog.buttons["play"].click()
    qtbot.waitUntil(lambda: s.audio.engine.is_playing, timeout=20000)
    qtbot.waitUntil(lambda: not s.audio.engine.is_playing, timeout=30000)
    assert rig.mic.device.played_audio().size > played_before
    assert all(
        (shots / f"record-model-{k}.png").stat().st_size > 10_000 for k in ("mismatch", "match", "list")
    )
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    models_dir = s.store.recorded_models_dir()
    assert sorted(p.name for p in models_dir.glob("*.wav")) == sorted(
        Path(m.audio_path).name for m in s.store.list_recorded_models()
    )  # no take left behind

    # 4. the session plays this therapist's newest recorded model for the intoned steps
    c.session.model_played()  # the humming step (always synthesized) is listen-only
    assert c.session.current_step().cue.value == "unison"
    stim = c.session.render_model()
    assert stim.low_hz == insisted.low_hz and stim.mode == "intone"

    # 5. the research export has both, with their audio
    report = export_dataset(s.store, tmp_path / "export", with_audio=True)
    assert report.rows["recorded_models"] == 2 and report.audio_models == 2
    table = pd.read_csv(tmp_path / "export" / "recorded_models.tsv", sep="\t")
    assert sorted(table["verdict"]) == ["fail", "pass"] and set(table["therapist_id"]) == {
        f"thr-{s.therapist.id}"
    }
    assert all((tmp_path / "export" / f).is_file() for f in table["audio_file"])

    # 6. from the phrase editor: the list, and Delete (asks once)
    editor = window.pages["editor"]
    window.show_page("editor")
    qtbot.waitUntil(lambda: editor.set_list.count() > 0, timeout=20000)
    row = next(i for i in range(editor.set_list.count()) if "recmodel-test" in editor.set_list.item(i).text())
    editor.set_list.setCurrentRow(row)
    qtbot.waitUntil(
        lambda: editor.phrase_set is not None and editor.phrase_set.name == "Recorded model test",
        timeout=20000,
    )
    editor.phrase_list.setCurrentRow(0)
    editor.buttons["record_model"].click()
    dialog = window.record_model_dialog
    qtbot.waitUntil(lambda: dialog.list.rowCount() == 2, timeout=20000)
    assert dialog.target.tempo_bpm == s.settings.tempo_bpm
    dialog.list.selectRow(0)
    dialog.confirm_delete = lambda _q: False
    dialog.buttons["delete"].click()
    assert len(s.store.list_recorded_models()) == 2
    asked: list[str] = []
    dialog.confirm_delete = lambda q: asked.append(q) or True
    dialog.buttons["delete"].click()
    qtbot.waitUntil(lambda: dialog.list.rowCount() == 1, timeout=20000)
    assert len(asked) == 1 and "thank-you" in asked[0]
    assert [m.id for m in s.store.list_recorded_models()] == [kept.id]
    assert not s.store.resolve_audio(insisted.audio_path).exists()
    dialog.close()
