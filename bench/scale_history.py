"""History that grows: the latency of every history operation as the messages table grows.

    .venv/bin/python -m bench.scale_history --sizes 100000,1000000,10000000 [--samples 200]

A PostgreSQL database of its own is filled by the database itself (INSERT ... SELECT over
generate_series: no row crosses the network) with rooms of very different sizes (a few
thousand rooms, one of them a tenth of all traffic), threads, reactions, edits and deletions,
and grown step by step to each size. At each size one chat service process serves it and a
single client measures, one request at a time (so each figure is the operation's own
latency, not queueing): the newest page, a page `before` the middle of the biggest room, a
page `after` it, a thread page, `join` with `since` (a client 400 messages behind), search,
and the room list of a member of 200 rooms with unread and mention counts (each room read up
to its 20th newest message, as after a day away). `EXPLAIN (ANALYZE, BUFFERS)` of the queries
behind the pages is kept for docs/benchmarks.md. The figures are absolute (there is no
reference server with this data); the machine's load average is written beside them.

Results: bench/results/scale-history.json (and the plot with --plot).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import text

from tests.support.client import Api, SioClient
from tests.support.server import ServerProcess, server_env
from tests.support.services import Database

from .harness import SERVICE_ENV

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ROOMS = 2000  # rooms of very different sizes: room 1 gets a tenth of all messages
MEMBER_ROOMS = 200  # the measuring user is a member of this many (the room-list target)
WORDS = (
    "deploy friday review release meeting lunch coffee budget design sprint incident ticket "
    "merge branch test green rollback database index latency customer launch roadmap holiday"
).split()
PASSWORD = "correct horse battery"  # noqa: S105 - the generated users of a throwaway database


def fill(db: Database, target: int, batch: int = 500_000) -> float:
    """Grow the messages table to ``target`` rows; seconds taken."""
    started = time.monotonic()
    with db.engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM messages")).scalar_one()
    while have < target:
        n = min(batch, target - have)
        with db.engine.begin() as conn:
            # room 1: 10 %; the rest by a skewed draw (a few busy rooms, a long tail)
            conn.execute(
                text(
                    """
                    WITH draw AS (
                      SELECT g,
                             CASE WHEN random() < 0.1 THEN 1
                                  ELSE 2 + floor(power(random(), 3) * (:rooms - 1))::int END AS room_id,
                             1 + floor(random() * 50)::int AS user_id,
                             random() AS r
                      FROM generate_series(1, :n) AS g
                    ), numbered AS (
                      SELECT d.*, r2.last_seq + row_number() OVER (PARTITION BY d.room_id ORDER BY d.g) AS seq
                      FROM draw d JOIN rooms r2 ON r2.id = d.room_id
                    )
                    INSERT INTO messages (room_id, user_id, body, created_at, edited_at, deleted_at, seq)
                    SELECT room_id, user_id,
                           -- a few common words, then three from a long tail (Zipf-like)
                           CASE WHEN r < 0.02 THEN ''
                                ELSE (:words)[1 + (g % 23)] || ' '
                                     || 'w' || floor(power(random(), 3) * 20000)::int || ' '
                                     || 'w' || floor(power(random(), 3) * 20000)::int || ' '
                                     || 'w' || floor(power(random(), 3) * 20000)::int || ' '
                                     || repeat('lorem ipsum ', 1 + (g % 8)) END,
                           now() - make_interval(secs => (:n - g)),
                           CASE WHEN r BETWEEN 0.02 AND 0.07 THEN now() END,
                           CASE WHEN r < 0.02 THEN now() END,
                           seq
                    FROM numbered
                    ORDER BY g  -- ids in time order, rooms interleaved, as in real traffic
                    """
                ),
                {"n": n, "rooms": ROOMS, "words": WORDS},
            )
            conn.execute(
                text(
                    "UPDATE rooms SET last_seq = m.s FROM (SELECT room_id, max(seq) AS s "
                    "FROM messages GROUP BY room_id) m WHERE m.room_id = rooms.id"
                )
            )
        have += n
    with db.engine.begin() as conn:
        # threads: 5 % of room 1's messages answer one of its 200 oldest messages (a root
        # of room 1 itself: the measured thread page is one of them); reactions on 1 %
        conn.execute(
            text(
                """
                WITH roots AS (
                  SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                  FROM (
                    SELECT id FROM messages WHERE room_id = 1 AND deleted_at IS NULL ORDER BY id LIMIT 200
                  ) oldest
                )
                UPDATE messages SET thread_id = roots.id FROM roots
                WHERE messages.room_id = 1 AND messages.thread_id IS NULL AND messages.id % 20 = 3
                  AND messages.id > (SELECT max(id) FROM roots)
                  AND roots.k = (messages.id / 20) % 200
                """
            )
        )
        conn.execute(
            text(
                "UPDATE messages SET reply_count = c.n, last_reply_at = now() FROM "
                "(SELECT thread_id, count(*) AS n FROM messages WHERE thread_id IS NOT NULL "
                "GROUP BY thread_id) c WHERE messages.id = c.thread_id"
            )
        )
        conn.execute(
            text(
                "INSERT INTO reactions (message_id, emoji, user_id) SELECT id, '👍', 1 + (id % 50) "
                "FROM messages WHERE id % 100 = 7 ON CONFLICT DO NOTHING"
            )
        )
        conn.execute(text("ANALYZE"))
    return time.monotonic() - started


def seed(db: Database) -> None:
    """Users, rooms and memberships: user 1 (the measuring user) in MEMBER_ROOMS rooms."""
    from argon2 import PasswordHasher

    hashed = PasswordHasher().hash(PASSWORD)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, username_key, password_hash, created_at) "
                "SELECT g, 'user' || g, 'user' || g, :h, now() FROM generate_series(1, 50) g"
            ),
            {"h": hashed},
        )
        conn.execute(
            text(
                "INSERT INTO rooms (id, name, private, owner_id, created_at, last_seq, kind) "
                "SELECT g, 'room-' || g, false, 1, now(), 0, 'room' FROM generate_series(1, :n) g"
            ),
            {"n": ROOMS},
        )
        conn.execute(
            text(
                "INSERT INTO members (room_id, user_id, created_at, last_read) "
                "SELECT r, u, now(), NULL FROM generate_series(1, :m) r, generate_series(1, 50) u"
            ),
            {"m": MEMBER_ROOMS},
        )
        for table in ("users", "rooms"):  # constants, not input
            setval = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            conn.execute(text(setval))


def read_positions(db: Database, behind: int = 20) -> None:
    """Every member has read each room up to its 20th newest message: a few unread, as after a
    day away (a new member starts at the newest, as the contract says)."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE members SET last_read = (SELECT id FROM messages m WHERE m.room_id = members.room_id "
                "ORDER BY m.id DESC OFFSET :behind LIMIT 1)"
            ),
            {"behind": behind},
        )


def cpu_ms(pids: list[int]) -> dict[int, float]:
    """CPU time (user and system) of each of these processes so far, in milliseconds; one that
    cannot be read (gone, or a database on another host) is left out."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    return out


def timed(fn, samples: int, cpu_of=None) -> dict:
    """p50/p99/max in milliseconds of ``samples`` calls, after a few warm-up ones; with
    ``cpu_of`` (() -> {name: [pid]}), also each group's CPU milliseconds per call, which the
    machine's load does not stretch as it stretches the latency."""
    for _ in range(5):
        fn()
    pids = cpu_of() if cpu_of else {}
    cpu_before = {name: cpu_ms(group) for name, group in pids.items()}
    took = []
    for _ in range(samples):
        started = time.perf_counter()
        fn()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    out = {
        "p50": round(statistics.median(took), 2),
        "p99": round(took[min(len(took) - 1, int(len(took) * 0.99))], 2),
        "max": round(took[-1], 2),
    }
    for name, group in pids.items():
        # a process gone meanwhile (a pooled connection closed) counts for none of it
        after, before = cpu_ms(group), cpu_before[name]
        spent = sum(after[pid] - before[pid] for pid in after.keys() & before.keys())
        out[f"{name}_cpu_ms"] = round(spent / samples, 2)
    return out


def measure(url: str, db: Database, samples: int, service_pid: int | None = None) -> dict:
    token = requests.post(
        url + "/api/login", json={"username": "user1", "password": PASSWORD}, timeout=30
    ).json()["token"]
    api = Api(url, token)
    with db.engine.connect() as conn:
        lo, hi = conn.execute(text("SELECT min(id), max(id) FROM messages WHERE room_id = 1")).one()
        root = conn.execute(
            text(
                "SELECT id FROM messages WHERE room_id = 1 AND reply_count > 0 AND deleted_at IS NULL "
                "AND thread_id IS NULL ORDER BY reply_count DESC LIMIT 1"
            )
        ).scalar()
    middle = (lo + hi) // 2
    # a client 400 messages behind in the biggest room (the join's catch-up)
    with db.engine.connect() as conn:
        behind = (
            conn.execute(
                text("SELECT id FROM messages WHERE room_id = 1 ORDER BY id DESC OFFSET 400 LIMIT 1")
            ).scalar()
            or 0
        )

    def page(**params):
        def call():
            r = api.get("/api/rooms/room-1/messages", params=params)
            assert r.status_code == 200, r.text

        return call

    client = SioClient(url, token)

    def join_since():
        ack = client.call("join", {"room": "room-1", "since": behind})
        assert ack["ok"], ack

    def search():
        r = api.get("/api/search", params={"q": "w700 w900"})  # two words of the long tail
        assert r.status_code == 200, r.text

    def room_list():
        r = api.get("/api/rooms")
        assert r.status_code == 200 and len(r.json()["rooms"]) >= MEMBER_ROOMS, r.text

    def cpu_of() -> dict[str, list[int]]:
        """The service process and its PostgreSQL backends (connected by the first calls)."""
        if service_pid is None:
            return {}
        with db.engine.connect() as conn:
            backends = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'chat%' "
                    "AND datname = current_database()"
                )
            ).scalars()
            return {"service": [service_pid], "postgres": list(backends)}

    def measured(fn, n: int) -> dict:
        return timed(fn, n, cpu_of)

    figures = {
        "newest page": measured(page(limit=50), samples),
        "page before the middle": measured(page(limit=50, before=middle), samples),
        "page after the middle": measured(page(limit=50, after=middle), samples),
        "thread page": measured(page(limit=50, thread=root), samples) if root else None,
        "join with since (catch-up)": measured(join_since, samples),
        "search": measured(search, max(20, samples // 4)),
        f"room list ({MEMBER_ROOMS} rooms, unread counts)": measured(room_list, max(20, samples // 4)),
    }
    client.close()
    return {k: v for k, v in figures.items() if v is not None}


def explain(db: Database) -> dict[str, str]:
    """The plans of the service's own statements (app/storage/messages.py) behind the newest
    page, a `before` page and a thread page of the biggest room, the join's two prepared
    statements on the plan PostgreSQL keeps for them, and the query shape of one room's
    unread count of the room list."""
    from app.storage.messages import JOIN_STATEMENTS, page_query

    with db.engine.connect() as conn:
        hi = conn.execute(text("SELECT max(id) FROM messages WHERE room_id = 1")).scalar_one()
        root = conn.execute(
            text(
                "SELECT id FROM messages WHERE room_id = 1 AND deleted_at IS NULL "
                "ORDER BY reply_count DESC LIMIT 1"
            )
        ).scalar_one()
        read = conn.execute(text("SELECT last_read FROM members WHERE room_id = 1 AND user_id = 1")).scalar()
        head = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) "
        plans = {}
        page = {"room": 1, "user": 1, "limit": 51}
        for name, shape, params in (
            ("newest page", ("top", "newest"), page),
            ("page before the middle", ("top", "before"), {**page, "edge": hi // 2}),
            ("thread page", ("thread", "newest"), {**page, "thread": root}),
        ):
            compiled = page_query(*shape).compile(db.engine)
            # the statement's own constants (its subqueries' limits), then the bound values
            bound = {**compiled.params, **params}
            plans[name] = "\n".join(r[0] for r in conn.exec_driver_sql(head + str(compiled), bound))
        # the join's statements as the service runs them: prepared on the connection, and
        # run past PostgreSQL's five planned runs, so the plan shown is the one it keeps
        # (app/storage/prepared.py)
        for name, shape, params in (
            ("newest page, prepared (the plan PostgreSQL keeps)", ("top", "newest"), page),
            (
                "join catch-up, prepared (the plan PostgreSQL keeps)",
                ("all", "after"),
                {**page, "edge": hi - 400},
            ),
        ):
            statement = JOIN_STATEMENTS[shape]
            for _ in range(6):
                statement.run(conn, params).all()
            explained = conn.exec_driver_sql(head + statement.execute_sql, statement.args(params))
            plans[name] = "\n".join(r[0] for r in explained)
        # the room list's unread count of one room (app/storage/roomlist.py), on constants
        count = (
            f"SELECT count(*) FROM messages WHERE room_id = 1 AND id > {read or 0} "  # noqa: S608
            "AND deleted_at IS NULL AND user_id <> 1"
        )
        plans["unread count of a room"] = "\n".join(conn.execute(text(head + count)).scalars())
    return plans


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale_history", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000,10000000", help="table sizes to measure at")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--out", type=Path, default=RESULTS / "scale-history.json", help="the results (JSON)")
    ap.add_argument("--keep-db", action="store_true", help="keep the database (its URL is printed)")
    ap.add_argument(
        "--plot", type=Path, help="also a plot of each operation's p50 and p99 against the table size"
    )
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    # stopped early (SIGTERM): the server it started and its database still go
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    db = Database("postgres").create()
    out = {"sizes": [], "loadavg_before": os.getloadavg()}
    try:
        db.migrate()
        seed(db)
        for size in sizes:
            seconds = fill(db, size)
            read_positions(db)
            env = server_env(db.url, f"scale-{os.getpid()}", None, **SERVICE_ENV)
            srv = ServerProcess(env, name="scale").start()
            try:
                figures = measure(srv.url, db, args.samples, srv.proc.pid)
            finally:
                srv.close()
            row = {
                "messages": size,
                "fill_seconds": round(seconds, 1),
                "loadavg": os.getloadavg(),
                "ops": figures,
            }
            row["explain"] = explain(db)
            out["sizes"].append(row)
            print(
                json.dumps(
                    {
                        "messages": size,
                        "fill_seconds": row["fill_seconds"],
                        **{k: v["p99"] for k, v in figures.items()},
                    }
                )
            )
            sys.stdout.flush()
    finally:
        if args.keep_db:
            print(f"database kept: {db.url}")
        else:
            db.drop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    if args.plot:
        plot(out, args.plot)
    return 0


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["messages"] for row in results["sizes"]]
    ops = list(results["sizes"][0]["ops"])
    fig, ax = plt.subplots(figsize=(9, 5))
    for op in ops:
        p99 = [row["ops"][op]["p99"] for row in results["sizes"]]
        line = ax.plot(sizes, p99, marker="o", label=f"{op} p99")[0]
        p50 = [row["ops"][op]["p50"] for row in results["sizes"]]
        ax.plot(sizes, p50, marker=".", linestyle=":", color=line.get_color())
    ax.set_xscale("log")
    ax.set_xlabel("messages in the table")
    ax.set_ylabel("ms per request (p99 solid, p50 dotted)")
    ax.set_title("History operations as the table grows (one client, one request at a time)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
