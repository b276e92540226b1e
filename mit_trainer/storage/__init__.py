"""MIT Trainer storage."""
