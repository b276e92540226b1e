"""MIT Trainer scoring."""
