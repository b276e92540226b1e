"""The trainer's defaults, in one place: every layer reads them from here (PROTOCOL.md §3).

A patient's own values (their calibrated low note, the interval and tempo the therapist set) always win;
these are what a new patient, the phrase editor's preview and the command line start from.
"""

from __future__ import annotations

from typing import Final

#: The low note before a patient's voice is calibrated: C3 (a comfortable pitch for most adult voices).
LOW_NOTE_HZ: Final = 130.81
#: The interval between the low and the high note (PROTOCOL.md §3: a minor third; range 2-7).
INTERVAL_SEMITONES: Final = 3.0
INTERVAL_RANGE_SEMITONES: Final = (2.0, 7.0)
#: Tempo: about one syllable a second (PROTOCOL.md §3: 60 BPM, range 40-90).
TEMPO_BPM: Final = 60.0
TEMPO_RANGE_BPM: Final = (40.0, 90.0)
#: The rate models are rendered and written at (``mit-trainer synth``), and the audio stream's rate.
MODEL_SAMPLE_RATE_HZ: Final = 44_100
STREAM_SAMPLE_RATE_HZ: Final = 48_000
#: Rates tried, in order, when a device refuses the asked one.
FALLBACK_SAMPLE_RATES_HZ: Final = (48_000, 44_100, 32_000, 22_050, 16_000)
#: The SQLite database's file name in the data folder.
DB_FILENAME: Final = "mit-trainer.sqlite3"
