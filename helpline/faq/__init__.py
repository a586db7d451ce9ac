"""Answers to questions about the program: which reply an FAQ topic gets (answers.py) and when to ask instead of answer (clarify.py)."""
