"""Rasa action server adapters: read the tracker, call ``helpline``, return events.

Kept thin on purpose: the logic they call lives in the ``helpline`` package and is
tested without Rasa.
"""
