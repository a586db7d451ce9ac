"""Rasa plug-ins (response generator, NLU components, channels); they call into ``helpline``."""
