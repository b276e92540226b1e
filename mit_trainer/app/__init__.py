"""MIT Trainer app."""
