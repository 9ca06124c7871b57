"""Readiness: can this process reach its database and its shared state right now?"""

from __future__ import annotations

from .. import green
from ..errors import Unavailable
from ..storage.database import Database

CHECK_DEADLINE = 2.0


class Health:
    def __init__(self, db: Database, state, uses_redis: bool):
        self.db = db
        self.state = state
        self.uses_redis = uses_redis

    def checks(self) -> dict[str, str]:
        """Each dependency: "ok" or a short reason."""
        out = {"database": self._check(self.db.ping)}
        if self.uses_redis:
            out["redis"] = self._check(self.state.ping)
        return out

    @staticmethod
    def _check(ping) -> str:
        try:
            with green.deadline(CHECK_DEADLINE):
                ping()
            return "ok"
        except green.DeadlineExceeded:
            return f"unreachable: no answer within {CHECK_DEADLINE:g} s"
        except Unavailable as exc:
            return f"unreachable: {exc.detail}"[:200]
        except Exception as exc:  # noqa: BLE001 - the driver's own errors name the failure
            return f"unreachable: {exc.__class__.__name__}"
