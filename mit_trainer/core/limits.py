"""The bounds every input is held to: one place for the numbers, so files, the CLI and the GUI agree.

Stimulus figures are the ranges the stimulus renderer accepts (:mod:`mit_trainer.analysis.stimulus`), which
contain PROTOCOL.md §3's clinical defaults (tempo about 60 BPM, 40-90 typical; interval 3 semitones, 2-7
typical; the low note from the patient's calibrated voice). Size and depth limits keep a hand-written or
hostile file from exhausting memory or the stack: a real phrase set is a few kilobytes.
"""

from __future__ import annotations

from mit_trainer.core import defaults

#: Tempo of a model or attempt, beats per minute (the renderer's range; PROTOCOL.md §3 uses 40-90).
TEMPO_BPM_RANGE = (20.0, 200.0)
#: Interval from the low to the high note, semitones (PROTOCOL.md §3: 2-7 typical, up to an octave here).
INTERVAL_SEMITONES_RANGE = (1.0, 12.0)
#: The clinical ranges (PROTOCOL.md §3) a phrase set's defaults, a model rendered for a patient and the
#: GUI are held to: tempo 40-90 BPM, interval 2-7 semitones. The wider ranges above describe audio.
CLINICAL_TEMPO_BPM_RANGE = defaults.TEMPO_RANGE_BPM
CLINICAL_INTERVAL_SEMITONES_RANGE = defaults.INTERVAL_RANGE_SEMITONES
#: Low note, Hz: a speaking or singing voice from a deep bass (G1) to a child's voice.
LOW_HZ_RANGE = (50.0, 1000.0)
#: Length of one syllable in beats (``beats: [1, 1, 2]``).
BEATS_RANGE = (0.125, 8.0)
#: Sample rates accepted for recording and rendering, Hz.
SAMPLE_RATE_HZ_RANGE = (8000, 192_000)

#: Longest phrase id, characters.
MAX_ID_CHARS = 64
#: Longest text field (phrase text, probe question, set name), characters.
MAX_TEXT_CHARS = 500
#: Most syllables in one phrase (Level III is 6-9; a little room for other protocols).
MAX_SYLLABLES = 40

#: Largest phrase-set or protocol file read, bytes: the shipped ones are under 10 kB; 256 KiB holds about
#: 3,000 phrases and validates in a few seconds (1 MiB, 12,000 phrases, took 14 s on a loaded machine).
MAX_YAML_BYTES = 256 << 10
#: Deepest nesting of lists and mappings in a YAML file (the formats need 4).
MAX_YAML_DEPTH = 32
#: Most YAML events (scalars, starts and ends of collections) in one file; a backstop, as the size limit
#: allows at most about one event per byte.
MAX_YAML_EVENTS = 1_000_000
