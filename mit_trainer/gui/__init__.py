"""MIT Trainer gui."""
