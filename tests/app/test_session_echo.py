"""The session hands its played model and the clock's offset to the analysis: a leak is never credited."""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve
from test_session import _play_models, _start, phrases, store  # noqa: F401 (fixtures)

from mit_trainer.core.engine_events import Outcome


def _leak(played: np.ndarray, *, offset_s: float, delay_s: float, gain: float, sr: int) -> np.ndarray:
    """The model through a room (delay, a decaying tail), starting ``offset_s`` into a recording, + noise."""
    rng = np.random.default_rng(7)
    d = round(delay_s * sr)
    h = np.zeros(d + int(0.5 * sr))
    h[d] = 1.0
    t = np.arange(h.size - d - 1) / sr
    h[d + 1 :] = 0.01 * rng.standard_normal(t.size) * np.exp(-6.9 * t / 0.5)
    wet = gain * fftconvolve(played, h)
    o = round(offset_s * sr)
    y = np.zeros(o + wet.size + sr // 2)
    y[o : o + wet.size] += wet
    return y + 10 ** (-70 / 20) * rng.standard_normal(y.size)


def test_unison_step_with_only_the_model_in_the_microphone_is_not_suggested_correct(store, phrases):  # noqa: F811
    session = _start(store, phrases, level=1)
    _play_models(session)
    assert session.view().awaiting == "response" and session.is_unison()
    stim = session.render_model()
    assert stim is not None
    played = stim.samples.astype(np.float64)
    # a silent patient; the model leaks in at -20 dB
    rec = _leak(played, offset_s=0.25, delay_s=0.12, gain=0.1, sr=stim.sample_rate_hz)
    out = session.submit_audio(rec, sample_rate_hz=stim.sample_rate_hz, model_offset_s=0.25, stimulus=stim)
    assert out.suggested is not Outcome.CORRECT
    echo = out.analysis.echo
    assert echo is not None and abs(echo["lag_ms"] - 120.0) <= 1.0 and echo["explained_fraction"] > 0.5
    stored = store.attempts_for_session(session.session_id)[-1]
    assert stored.analysis is not None and stored.analysis["echo"]["lag_ms"] == echo["lag_ms"]
