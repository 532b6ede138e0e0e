"""Everything that knows which database is underneath: engines, types, upserts, migrations."""

from watcher_server.db.database import Database

__all__ = ["Database"]
