"""MIT Trainer package."""
