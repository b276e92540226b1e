"""The patient's window: cue banner, two-lane phrase, tap pad, live pitch trace (one task at a time)."""
