"""Analysis benchmark: pitch trackers + syllable segmentation + scoring against a labelled synthetic corpus.

The corpus (``mit_trainer.analysis.corpus``): synthetic patients (male 90-140 Hz, female 170-260 Hz low note),
their own tempo 40-90 BPM and key, interval 2-5 semitones, vibrato up to 40 cents, flutter, jitter,
consonant-like onsets (nasal/liquid and glottal dips, unvoiced gaps with bursts), reverberation (exponentially
decaying noise impulse response, RT60 0.2-0.5 s) and pink noise at 10-20 dB SNR; kinds: correct, inverted
contour, monotone, missing syllables, wrong rhythm, spoken instead of sung, silence, noise only.

Per tracker: RPA50 (voiced frames of sung syllables within 50 cents), voicing recall / false alarms (frames
>= 20 ms from a voicing change), syllable onset F1 at 50 and 100 ms (correct attempts), balanced accuracy of
the verdict between correct attempts (expected pass) and each kind (expected fail, or no_response for
silence and noise), correct attempts at <= 15 dB SNR that did not pass, batch real-time factor of the whole
analysis (wall clock and process CPU time; the machine is shared, so CPU time is the steadier figure) and
the median streaming latency of the tracker (10 ms blocks). ``swiftf0-own`` is the swift-f0 package's own
output (confidence >= 0.5, no energy gate). Settings were tuned on seed 1; the default seed is 2026.

Run: ``.venv/bin/python benchmarks/bench_analysis.py [--quick] [--trackers a,b] [--output FILE.md]``
(the same as ``mit-trainer bench``).
"""

from __future__ import annotations

import sys

from mit_trainer.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
