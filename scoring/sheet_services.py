"""Kept for scoring.tasks, which imports the evidence clean-up from here; the writes live in the
scoring.services package. This module goes once scoring.tasks imports
scoring.services.evidence_orphans."""

from .services.evidence_orphans import evidence_orphans_remove

__all__ = ["evidence_orphans_remove"]
