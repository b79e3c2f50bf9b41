"""Kept for scoring.tasks, which imports the evidence clean-up from here; the writes live in the
scoring.services package (this name goes once scoring.tasks imports scoring.services.evidence)."""

from .services.evidence import evidence_orphans_remove

__all__ = ["evidence_orphans_remove"]
