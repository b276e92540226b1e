"""The model in the microphone: lag, reduction and masking against the generators' truth.

The leak is the trainer's own rendered model through a known room path (delay, reflections, an RT60 tail)
with pink room noise; the patient is Festival singing (a voice the trainer did not make) given the
phrase's notes. The seeded loop of 100+ silent-patient trials is ``benchmarks/bench_echo.py``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf
from leak_signals import HAVE_FESTIVAL, SR, festival_sing, leak_trial, midi_of, model, rms_db
from scoring_data import PHRASE
from test_analyze_cli import PHRASES_YAML

from mit_trainer.analysis.echo import cancel_echo, estimate_lag
from mit_trainer.cli.main import main
from mit_trainer.scoring import AttemptAnalysis, analyze_attempt

needs_festival = pytest.mark.skipif(not HAVE_FESTIVAL, reason="Festival (text2wave) is not installed")
OFFSET_S = 0.3


@pytest.fixture(scope="module")
def played() -> np.ndarray:
    return model(PHRASE).samples.astype(np.float64)


@pytest.fixture(scope="module")
def sung() -> np.ndarray:
    if not HAVE_FESTIVAL:
        pytest.skip("Festival (text2wave) is not installed")
    x, _ = festival_sing(PHRASE.syllables, PHRASE.pattern, PHRASE.beats, low_midi=midi_of(130.81))
    return x


def _analyze(recording, tracker, played=None, offset=OFFSET_S):
    kw = {} if played is None else {"played": played, "played_rate_hz": SR, "played_offset_s": offset}
    return analyze_attempt(recording, sample_rate_hz=SR, phrase=PHRASE, tracker=tracker, **kw)


@pytest.mark.parametrize("delay_s", [0.012, 0.137, 0.29])
def test_lag_found_to_the_sample_on_a_direct_path(played, delay_s):
    rng = np.random.default_rng(1)
    t = leak_trial(rng, played, leak_db=-20, delay_s=delay_s, rt60_s=0.6, reflections=0)
    res = cancel_echo(
        t.recording, sample_rate_hz=SR, played=played, played_rate_hz=SR, played_offset_s=OFFSET_S
    )
    assert abs(res.lag_s - delay_s) * 1000 <= 0.1  # ms
    assert res.offset_s == pytest.approx(OFFSET_S + delay_s, abs=1e-4)
    assert res.lag_strength > 10


def test_lag_within_the_early_reflections_in_a_reverberant_room(played):
    for seed in range(3):
        t = leak_trial(np.random.default_rng(seed), played, leak_db=-20, rt60_s=0.6)
        res = cancel_echo(
            t.recording, sample_rate_hz=SR, played=played, played_rate_hz=SR, played_offset_s=OFFSET_S
        )
        # the strongest path is the direct sound or a reflection at most 25 ms after it
        assert -0.5 <= (res.lag_s - t.delay_s) * 1000 <= 25.0


def test_lag_search_with_unknown_offset_and_negative_offset(played):
    t = leak_trial(
        np.random.default_rng(4), played, leak_db=-20, delay_s=0.1, played_offset_s=0.6, reflections=0
    )
    unknown = cancel_echo(
        t.recording, sample_rate_hz=SR, played=played, played_rate_hz=SR, played_offset_s=None
    )
    assert unknown.offset_s == pytest.approx(0.7, abs=1e-3)
    # the same model said to start 0.2 s before the recording: the first 0.2 s of it is not in the recording
    head = np.concatenate((np.zeros(round(0.8 * SR)), played))
    before = cancel_echo(t.recording, sample_rate_hz=SR, played=head, played_rate_hz=SR, played_offset_s=-0.2)
    assert before.lag_s == pytest.approx(0.1, abs=1e-3)


def test_estimate_lag_matches_a_known_shift():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SR)
    y = np.concatenate((np.zeros(777), 0.3 * x))[: x.size] + 0.01 * rng.standard_normal(x.size)
    lag, strength = estimate_lag(y, x, sample_rate_hz=SR, min_lag_s=-0.05, max_lag_s=0.35)
    assert lag == 777 and strength > 50
    y2 = np.concatenate((x[500:], np.zeros(500)))  # reference lags the recording: negative lag
    assert estimate_lag(y2, x, sample_rate_hz=SR, min_lag_s=-0.05, max_lag_s=0.35)[0] == -500


def test_reduction_against_the_known_leak(played):
    """Subtracting the predicted leak removes it to within a few dB of the room noise floor."""
    for rt60, least_db in ((0.05, 28.0), (0.6, 25.0)):
        t = leak_trial(np.random.default_rng(2), played, leak_db=-10, delay_s=0.08, rt60_s=rt60, noise_db=-90)
        res = cancel_echo(
            t.recording, sample_rate_hz=SR, played=played, played_rate_hz=SR, played_offset_s=OFFSET_S
        )
        assert res.reduction_db is not None and res.reduction_db >= least_db, (rt60, res.reduction_db)
        # truth: in the explained frames the leak is x dB above what remains; compare the leak's own level
        assert res.explained_fraction > 0.5
        leak_level = float(np.median(res.leak_db[res.explained]))
        assert leak_level == pytest.approx(rms_db(played) - 10, abs=6)  # the path's gain was set to -10 dB


@pytest.mark.parametrize("leak_db", [-10, -20, -30, -40])
def test_silent_patient_with_the_model_leaking_never_passes(played, tracker, leak_db):
    t = leak_trial(np.random.default_rng(-leak_db), played, leak_db=leak_db, rt60_s=0.6, noise_db=-70)
    res = _analyze(t.recording, tracker, played)
    assert res.verdict != "pass"
    assert all(s.produced is None for s in res.syllables)
    assert res.echo is not None and res.echo["explained_fraction"] > 0.5
    assert abs(res.echo["lag_ms"] - t.delay_s * 1000) <= 25.0
    assert res.measures["n_detected"] == 0
    if leak_db == -20:  # the trap is real: without the played model the leak alone passes
        assert _analyze(t.recording, tracker).verdict == "pass"


def test_explained_frames_are_unvoiced_in_the_track(played, tracker):
    t = leak_trial(np.random.default_rng(3), played, leak_db=-15)
    res = _analyze(t.recording, tracker, played)
    times = res.pitch.times_s
    start, end = OFFSET_S + t.delay_s + 0.6, OFFSET_S + t.delay_s + played.size / SR - 0.6
    inside = (times >= start) & (times <= end)
    assert inside.sum() > 100
    assert np.isnan(res.pitch.f0_hz[inside]).mean() > 0.95


@needs_festival
def test_patient_after_the_model_passes_with_the_leak_masked(played, sung, tracker):
    start = OFFSET_S + played.size / SR + 0.5  # a repetition step: the model, then the answer
    t = leak_trial(np.random.default_rng(1), played, leak_db=-20, patient=sung, patient_start_s=start)
    res = _analyze(t.recording, tracker, played)
    assert res.verdict == "pass"
    assert all(s.onset_s is not None and s.onset_s >= start for s in res.syllables)
    assert _analyze(t.recording, tracker).verdict != "pass"  # the leak's syllables confuse the raw analysis


@needs_festival
@pytest.mark.parametrize("leak_re_patient_db", [-20.0, -10.0])
def test_patient_over_the_model_is_scored_on_the_patient(played, sung, tracker, leak_re_patient_db):
    stim = model(PHRASE)
    start = OFFSET_S + stim.syllables[0].onset_s + 0.1
    leak_db = leak_re_patient_db - 20.0 - rms_db(played)  # patient at -20 dBFS
    t = leak_trial(np.random.default_rng(0), played, leak_db=leak_db, patient=sung, patient_start_s=start)
    res = _analyze(t.recording, tracker, played)
    assert res.verdict == "pass"
    sung_f0 = festival_sing(PHRASE.syllables, PHRASE.pattern, PHRASE.beats, low_midi=midi_of(130.81))[1]
    for syl, f0 in zip(res.syllables, sung_f0, strict=True):
        assert syl.f0_hz is not None and abs(1200 * math.log2(syl.f0_hz / f0)) < 50


@needs_festival
def test_model_sung_on_after_the_patient_stops_is_not_credited(played, sung, tracker):
    """Unison, but the patient stops after the third syllable: the model's last two are not the patient's."""
    stim = model(PHRASE)
    env = np.abs(sung) > 0.05 * np.abs(sung).max()
    first = int(np.argmax(env)) / SR
    cut = sung[: round((first + 3.9) * SR)]  # Festival at 60 BPM: syllable 4 starts 4 beats in
    start = OFFSET_S + stim.syllables[0].onset_s + 0.1
    leak_db = -10.0 - 20.0 - rms_db(played)
    t = leak_trial(np.random.default_rng(0), played, leak_db=leak_db, patient=cut, patient_start_s=start)
    res = _analyze(t.recording, tracker, played)
    end_s = start + cut.size / SR  # the patient's last sample
    assert res.verdict != "pass"
    assert res.detected and all(d.onset_s < end_s for d in res.detected)


def test_echo_json_round_trip_and_absent_without_a_played_model(played, tracker):
    t = leak_trial(np.random.default_rng(5), played, leak_db=-20)
    res = _analyze(t.recording, tracker, played)
    d = res.to_json()
    assert set(d["echo"]) == {
        "found",
        "lag_ms",
        "offset_s",
        "reduction_db",
        "explained_fraction",
        "lag_strength",
    }
    assert d["echo"]["found"] is True
    assert AttemptAnalysis.from_json(json.loads(json.dumps(d))).echo == d["echo"]
    assert "echo" not in _analyze(t.recording, tracker).to_json()


def test_bad_played_input_is_refused(played, tracker):
    t = leak_trial(np.random.default_rng(5), played, leak_db=-20)
    with pytest.raises(ValueError, match="played model"):
        _analyze(t.recording, tracker, np.array([0.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="played_rate_hz"):
        analyze_attempt(t.recording, sample_rate_hz=SR, phrase=PHRASE, tracker=tracker, played=played)
    with pytest.raises(ValueError, match="offset"):
        _analyze(t.recording, tracker, played, offset=math.inf)


@pytest.fixture()
def leak_files(tmp_path, played):
    t = leak_trial(np.random.default_rng(20), played, leak_db=-20, delay_s=0.05, reflections=0)
    (tmp_path / "p.yaml").write_text(PHRASES_YAML)
    sf.write(tmp_path / "rec.wav", t.recording, SR)
    sf.write(tmp_path / "model.wav", played, SR)
    return tmp_path


def test_cli_played_option_and_manifest_columns(leak_files, capsys):
    d = leak_files
    base = ["analyze", str(d / "rec.wav"), "--phrases", str(d / "p.yaml"), "--phrase", PHRASE.id, "--json"]
    assert main(base) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "pass"  # the leak alone passes without --played
    assert main([*base, "--played", str(d / "model.wav"), "--played-offset-s", str(OFFSET_S)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] != "pass" and out["echo"]["lag_ms"] == pytest.approx(50.0, abs=0.2)
    (d / "m.tsv").write_text(
        "audio\tphrase_id\tplayed\tplayed_offset_s\n"
        f"rec.wav\t{PHRASE.id}\tmodel.wav\t{OFFSET_S}\n"
        f"rec.wav\t{PHRASE.id}\t\t\n"
        f"rec.wav\t{PHRASE.id}\tmodel.wav\tsoon\n"
    )
    assert main(["analyze", "--batch", str(d / "m.tsv"), "--phrases", str(d / "p.yaml")]) != 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["verdict"] != "pass" and rows[0]["echo"]["lag_ms"] == pytest.approx(50.0, abs=0.2)
    assert rows[1]["verdict"] == "pass" and "echo" not in rows[1]
    assert "played_offset_s" in rows[2]["error"]


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--played", "nowhere.wav"], "played model"),
        (["--played", "model.wav", "--played-offset-s", "nan"], "--played-offset-s: must be a number"),
    ],
)
def test_cli_bad_played_input_is_one_line(leak_files, capsys, extra, message):
    d = leak_files
    args = ["analyze", str(d / "rec.wav"), "--phrases", str(d / "p.yaml"), "--phrase", PHRASE.id]
    extra = [str(d / e) if e.endswith(".wav") else e for e in extra]
    try:
        status = main([*args, *extra])
    except SystemExit as exc:  # argparse refuses an option value itself (exit 2)
        status = int(exc.code or 0)
    assert status != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@needs_festival
@pytest.mark.parametrize("voice", ["kal", "ked"])
def test_played_model_that_never_reached_the_microphone_changes_nothing(played, tracker, voice):
    """Headphones: the patient sings along, the model is not in the recording; the analysis is the raw one."""
    sung = festival_sing(
        PHRASE.syllables, PHRASE.pattern, PHRASE.beats, low_midi=midi_of(130.81), voice=voice
    )[0]
    start = OFFSET_S + model(PHRASE).syllables[0].onset_s + 0.1
    t = leak_trial(np.random.default_rng(6), played, leak_db=-200, patient=sung, patient_start_s=start)
    res, raw = _analyze(t.recording, tracker, played), _analyze(t.recording, tracker)
    assert res.echo is not None and res.echo["found"] is False and res.echo["explained_fraction"] == 0.0
    assert res.verdict == raw.verdict and res.scores == raw.scores
