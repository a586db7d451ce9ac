"""Helpline Intake core: plain Python, no Rasa imports.

Rasa adapters live in ``actions/`` (action server) and ``helpline_rasa/``
(plug-ins loaded by the Rasa server); both import this package, never the reverse.
"""
