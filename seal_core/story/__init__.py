"""The story of an audit for people who are not ML engineers: ranked findings, their charts, and the audit report."""

from seal_core.story.figures import ChartSpec, to_altair, to_svg
from seal_core.story.findings import Finding, default_gamma_targets, find_findings

__all__ = ["ChartSpec", "Finding", "default_gamma_targets", "find_findings", "to_altair", "to_svg"]
