"""Fixtures for the audio tests: a PRIVATE PulseAudio server with null sinks ``speaker`` and ``patient``.

The server is a child process with its own socket and runtime folder (see
:mod:`mit_trainer.audio.pulseserver`); tests using it are marked ``pulseaudio``. Without ``pulseaudio``
installed they are skipped, except in CI (``CI=true``) where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mit_trainer.audio.pulseserver import PrivatePulseServer, pulseaudio_available


def _need_pulse() -> None:
    if pulseaudio_available():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("pulseaudio/pactl are not installed, but CI must run the real audio tests")
    pytest.skip("pulseaudio is not installed")


@pytest.fixture(scope="module")
def pulse() -> Iterator[PrivatePulseServer]:
    """A private server; the environment points PortAudio/ALSA at it for the whole module."""
    _need_pulse()
    server = PrivatePulseServer(default_source="patient.monitor").start()
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    try:
        from mit_trainer.audio.backend import PortAudioBackend

        PortAudioBackend().rescan()  # re-read the ALSA configuration with the server running
        yield server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


@pytest.fixture
def source(pulse: PrivatePulseServer) -> Iterator[PrivatePulseServer]:
    """Per-test default source (restored afterwards): tests call ``pulse.pactl('set-default-source', ..)``."""
    yield pulse
    pulse.pactl("set-default-source", "patient.monitor", check=False)
    pulse.pactl("suspend-sink", "patient", "0", check=False)
