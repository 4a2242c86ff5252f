"""Multiple systems estimation (the hidden number)."""
