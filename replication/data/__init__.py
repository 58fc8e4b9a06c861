"""The LA x year panel: schema and validation (``panel``), the seeded synthetic generator
(``synthetic``) and the summaries it is calibrated to (``calibration``)."""

from .panel import INDICATORS, UNITS, Indicator, Panel, PanelError, load_panel
from .synthetic import SyntheticTruth, make_panel

__all__ = ["INDICATORS", "UNITS", "Indicator", "Panel", "PanelError", "SyntheticTruth",
           "load_panel", "make_panel"]
