"""Exceptions of the audio layer; every message is a sentence a clinician can act on."""

from __future__ import annotations


class AudioError(Exception):
    """Any audio problem the user can do something about."""


class AudioUnavailableError(AudioError):
    """PortAudio is missing or the system has no usable audio device."""


class DeviceNotFoundError(AudioError):
    """No device (or more than one) matches the name the user chose."""
