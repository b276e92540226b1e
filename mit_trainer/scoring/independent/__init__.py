"""An evaluation corpus of voices the trainer did not make (issue 12), and the bench that reports on it.

:mod:`.festival` sings with Festival's singing mode, :mod:`.espeak` speaks with espeak-ng, :mod:`.world`
re-pitches, re-times and shifts either voice with WORLD (pyworld), :mod:`.perturb` applies the recording
conditions, :mod:`.plan` draws seeded items (correct attempts under a condition, or an error kind),
:mod:`.sung_speech` re-sings speech on a score, :mod:`.render` and :mod:`.corpus` make and cache the audio,
:mod:`.bench` analyses the items and :mod:`.report` prints the tables. Truth (syllable onsets, notes) always
comes from the generator: Festival's segment labels, espeak-ng's phoneme events and the notes it was given.
"""
