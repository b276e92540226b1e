"""MIT Trainer analysis."""
