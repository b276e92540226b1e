"""MIT Trainer cli."""
