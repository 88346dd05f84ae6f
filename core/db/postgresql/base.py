"""Django's PostgreSQL backend, with the health check of a busy connection skipped.

With `CONN_HEALTH_CHECKS`, Django sends `SELECT 1` on a reused connection
before the first query of every request: a round trip that costs about as
much as the query a small page makes. A connection that answered a query a
moment ago is as good a proof as that `SELECT 1`, so a connection is checked
only when it has been idle for longer than `HEALTH_CHECK_IDLE` seconds, as
connection pools do (HikariCP's `aliveBypassWindowMs`). Under load every
connection is busy and skips the check; after a quiet spell, in which
PostgreSQL may have restarted or a firewall dropped the connection, the
first request checks it and reconnects if it is gone.

The settings select it instead of `django.db.backends.postgresql` (config/settings.py).
"""

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_IDLE = 1.0  # seconds since the connection's last query


class DatabaseWrapper(base.DatabaseWrapper):
    last_used = float("-inf")  # time.monotonic() of the last cursor created

    def create_cursor(self, name=None):
        self.last_used = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self.last_used < HEALTH_CHECK_IDLE
        ):
            self.health_check_done = True  # it answered a moment ago
            return
        super().close_if_health_check_failed()
