"""Audio input and output a clinic can trust: the only package that imports sounddevice (lazily).

Public API (used by the GUI, the session runner and the command line)::

    from mit_trainer.audio import AudioEngine, AudioSettings, list_devices, load_settings, save_settings

    settings = load_settings()                      # remembered JSON in the user config dir
    devices = list_devices()                        # list[DeviceInfo]; choose by name (substring match)
    engine = AudioEngine(event_listener=None)       # or AudioEngine(FakeAudioDevice(...)) in tests/demos
    info = engine.open(settings)                    # StreamInfo: negotiated rate, devices, latencies
    attempt = engine.start_attempt(model, stimulus_rate_hz=22050, record_path=path)  # model may be None
    engine.mark_tap()                               # GUI thread: stamps a tap on the stream clock
    engine.stop_playback(); engine.is_playing       # cut the model short / poll whether it still plays
    engine.play(model, stimulus_rate_hz=22050)      # preview a model without recording
    engine.read_new_audio()                         # consumer's timer: new float32 samples for the live trace
    engine.input_level()                            # InputLevel: dBFS, peak, clipping, noise floor
    result = attempt.stop()                         # RecordingResult: path, duration_s, offset_s, taps_s, ...
    for event in engine.events(): ...               # AudioEvent("device_lost", sentence) -> tell the user
    attempt.interrupted, attempt.elapsed_s          # poll from a timer while recording
    engine.reopen(new_settings)                     # choose a device again without restarting
    engine.close()

Threading contract: the stream's callbacks only copy into preallocated ring buffers, stamp the PortAudio
stream clock and count xruns. A recorder thread writes the WAV as audio arrives (header valid after every
flush, at most ``flush_interval_s`` lost on a crash); call :func:`repair_incomplete_recordings` at start-up.
A watchdog thread notices a device that stops delivering audio within ``watchdog_timeout_s`` + 0.1 s,
finalises the attempt (``interrupted=True``) and queues an :class:`AudioEvent`; ``event_listener``, if
given, is called on that watchdog thread (a Qt GUI must re-post it to its own thread, or just poll
:meth:`AudioEngine.events` from a timer). Nothing in this package imports Qt.

Start-up: ``repair_incomplete_recordings(recordings_folder)`` fixes files cut off by a crash (returns them).
Opening a stream can take up to ~2.5 s (it is restarted if it stalls, as PulseAudio streams sometimes do
right after the server starts): open the engine off the GUI thread or once at start-up.

Timing: ``RecordingResult.offset_s`` is where the model's first sample lies in the recording's time axis,
``taps_s`` are relative to the recording's first sample; both come from PortAudio's
``inputBufferAdcTime``/``outputBufferDacTime`` (fitted over many blocks), so the voice can be compared with
the model to the millisecond. :func:`measure_round_trip` plays a click and reports the measured and the
clock-predicted round-trip latency.
"""

from mit_trainer.audio.attempt import AttemptRecording
from mit_trainer.audio.devices import (
    AudioSettings,
    DeviceInfo,
    default_settings_path,
    find_device,
    load_settings,
    save_settings,
)
from mit_trainer.audio.engine import AudioEngine
from mit_trainer.audio.errors import AudioError, AudioUnavailableError, DeviceNotFoundError
from mit_trainer.audio.fake import FakeAudioDevice
from mit_trainer.audio.latency import LatencyReport, measure_round_trip
from mit_trainer.audio.levels import LevelStats, VadConfig, VoiceActivityDetector, detect_response_onset_s
from mit_trainer.audio.recording import repair_incomplete_recordings, repair_recording
from mit_trainer.audio.results import AudioEvent, InputLevel, RecordingResult, StreamInfo, XrunCounts


def list_devices() -> list[DeviceInfo]:
    """The system's audio devices through PortAudio (raises :class:`AudioUnavailableError` without it)."""
    from mit_trainer.audio.backend import PortAudioBackend

    return PortAudioBackend().list_devices()


__all__ = [
    "AttemptRecording",
    "AudioEngine",
    "AudioError",
    "AudioEvent",
    "AudioSettings",
    "AudioUnavailableError",
    "DeviceInfo",
    "DeviceNotFoundError",
    "FakeAudioDevice",
    "InputLevel",
    "LatencyReport",
    "LevelStats",
    "RecordingResult",
    "StreamInfo",
    "VadConfig",
    "VoiceActivityDetector",
    "XrunCounts",
    "default_settings_path",
    "detect_response_onset_s",
    "find_device",
    "list_devices",
    "load_settings",
    "measure_round_trip",
    "repair_incomplete_recordings",
    "repair_recording",
    "save_settings",
]
