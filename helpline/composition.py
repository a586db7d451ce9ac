"""The composition root: what an entry point needs, built once from validated Settings.

Entry points (``helpline run``, the web process, the action server, the CLI)
start with :func:`app_context` instead of each loading settings, migrating
the database and finding the facility file on its own. The settings are
validated here, at start, so a bad value stops the process with a message
naming the variable (helpline.settings.SettingsError) before anything runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from sqlalchemy.orm import sessionmaker

from helpline.facility import Facility, load_facility
from helpline.settings import Settings, load_settings
from helpline.store import db


@dataclass(frozen=True)
class AppContext:
    settings: Settings

    @property
    def database_url(self) -> str:
        return self.settings.effective_database_url

    def migrate(self) -> Optional[str]:
        """Bring the callback database to the newest schema now; the revision it is at afterwards."""
        return db.upgrade(self.database_url)

    def open_database(self) -> sessionmaker:
        """Migrate now, then the session factory: for a CLI command, which runs once per process."""
        self.migrate()
        return db.session_factory(self.database_url)

    def sessions(self) -> sessionmaker:
        """The session factory, the schema migrated first (once per process and database)."""
        db.ensure_schema(self.database_url)
        return db.session_factory(self.database_url)

    def facility(self) -> Facility:
        """The facility's facts; re-read when the file changes, so an edit needs no restart."""
        return load_facility(self.settings.facility_file)


def app_context(env: Optional[Mapping[str, str]] = None) -> AppContext:
    """Settings from ``env`` (default: the process environment), validated; raises SettingsError."""
    return AppContext(load_settings(env))
