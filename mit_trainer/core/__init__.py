"""MIT Trainer core."""
