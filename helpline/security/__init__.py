"""Encryption at rest (crypto.py, rekey.py, local_secrets.py), staff accounts and sign-in limits, and the audit trail."""
