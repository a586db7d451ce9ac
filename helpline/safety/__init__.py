"""Crisis language: the lexicon (lexicon.py), the trained detector (crisis_model.py), paging on-call staff within a cap (crisis_pages.py) and raising a crisis follow-up (crisis_handoff.py)."""
