"""``mit-trainer audio test`` through real PortAudio and a private PulseAudio server: a silent input is
told apart from a lost one (issue 16, item 7). Subprocesses, so each has its own PortAudio."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mit_trainer.audio.pulseserver import PrivatePulseServer, pulseaudio_available

pytestmark = [pytest.mark.slow, pytest.mark.pulseaudio]


def _audio_test(server: PrivatePulseServer) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(server.env)
    return subprocess.run(
        [sys.executable, "-m", "mit_trainer", "audio", "test"], env=env, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip


@pytest.fixture
def quiet_server():  # type: ignore[no-untyped-def]
    if not pulseaudio_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pulseaudio is not installed, but CI must run the real audio tests")
        pytest.skip("pulseaudio is not installed")
    # no keep-alive: nothing plays into the patient's sink, so the 'microphone' is a quiet, idle source
    server = PrivatePulseServer(keep_alive=False).start()
    yield server
    server.stop()


def test_a_quiet_working_input_is_called_silent_not_lost(quiet_server: PrivatePulseServer) -> None:
    done = _audio_test(quiet_server)
    assert done.returncode == 0, done.stderr
    assert "recorded level: silent" in done.stdout and "muted" in done.stdout
    assert "unplugged" not in done.stdout + done.stderr


def test_a_suspended_input_is_called_lost(quiet_server: PrivatePulseServer) -> None:
    quiet_server.pactl("suspend-sink", "patient", "1")  # the microphone's source goes away
    done = _audio_test(quiet_server)
    assert done.returncode == 1
    err = done.stderr.strip().splitlines()[-1]
    assert err.startswith("mit-trainer: error: ") and "microphone" in err
