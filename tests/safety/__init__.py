"""Crisis safety net: lexicon (helpline.safety) and Rasa component tests."""
