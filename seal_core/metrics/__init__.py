"""SEAL's metrics: alignment resistance (and, as they land, imprint, shift, robustness, ambiguity)."""

from seal_core.metrics.resistance import ResistanceResult, alignment_resistance, resistance_table

__all__ = ["ResistanceResult", "alignment_resistance", "resistance_table"]
