"""MIT Trainer audio."""
