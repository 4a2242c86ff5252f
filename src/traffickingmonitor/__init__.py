"""traffickingmonitor: a reproducible, privacy-first monitor of human trafficking victims."""

__version__ = "0.1.0"
