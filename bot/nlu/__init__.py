"""Custom Rasa NLU components (these modules import Rasa; bot/ modules above do not)."""
