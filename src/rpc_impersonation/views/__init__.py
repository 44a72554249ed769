"""Views: diagrams, plots and widgets drawn from the engine's decisions (they never decide anything)."""

from .checks import ask, ask_all, predict_in_builder, predict_who_acts
from .diagrams import chain_diagram, thread_diagram
from .display import Diagram
from .plots import level_matrix_figure, level_matrix_text, reach_figure, reach_table
from .widgets import ChainBuilder, CloakingStepper, ImpersonationStepper, LevelExplorer, QuickCheck

__all__ = [
    "Diagram",
    "chain_diagram",
    "thread_diagram",
    "level_matrix_figure",
    "level_matrix_text",
    "reach_figure",
    "reach_table",
    "LevelExplorer",
    "ChainBuilder",
    "ImpersonationStepper",
    "QuickCheck",
    "ask",
    "ask_all",
    "predict_who_acts",
    "predict_in_builder",
    "CloakingStepper",
]
