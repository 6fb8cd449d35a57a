"""Template tags of Connect."""
