"""The web process: the chat widget's static files and demo page (app.py, static/) and the staff console with its JSON API (console.py)."""
