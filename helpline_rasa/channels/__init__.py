"""Rasa input channels of the helpline (registered in credentials.yml)."""
