"""Crisis safety net: lexicon (helpline.safety.lexicon) and Rasa component tests."""
