"""What a run's raw results say: sustained rates, latency, integrity and the ratios of each
service against the reference (the figures bench/run prints and docs/benchmarks.md shows)."""

from __future__ import annotations

import statistics


def fixed_load(run: dict) -> dict:
    """One figure per measure from the windows of a fixed-load run.

    Latency percentiles are the median over the windows, so one stall of the shared machine
    during one server's window does not decide the comparison; CPU per delivery is the total
    CPU over the total deliveries.
    """
    steps = run["steps"]
    lat = {
        k: statistics.median(s["latency_ms"][k] for s in steps if s["latency_ms"][k] is not None)
        for k in ("p50", "p95", "p99")
    }
    delivered = sum(s["delivered"] for s in steps)
    cpu = sum(s["server_cpu_s"] for s in steps)
    return {
        "latency_ms": {k: round(v, 1) for k, v in lat.items()},
        "cpu_us_per_delivery": round(cpu / delivered * 1e6, 1) if delivered else None,
        "windows": len(steps),
        "lost": sum(s["lost"] for s in steps),
        "duplicated": sum(s["duplicated"] for s in steps),
    }


def best_step(result: dict) -> dict | None:
    """The highest sustained load: the passing step with the most deliveries per second."""
    passing = [s for s in result.get("steps", []) if s["pass"]]
    return max(passing, key=lambda s: s["delivered_per_s"]) if passing else None


def sustained(result: dict) -> int:
    step = best_step(result)
    return step["delivered_per_s"] if step else 0


def capped(run: dict) -> bool:
    """Every step passed: the ramp's top was reached, so the sustained rate is a lower bound."""
    steps = run.get("steps", [])
    return bool(steps) and all(s["pass"] for s in steps)


def integrity(results: list[dict]) -> dict:
    """Lost, duplicated and reordered deliveries summed over every step of every run."""
    total = {
        "lost": 0,
        "late": 0,
        "duplicated": 0,
        "reordered": 0,
        "malformed": 0,
        "ack_errors": 0,
        "steps": 0,
    }
    for r in results:
        for s in r.get("steps", []):
            total["steps"] += 1
            total["lost"] += s["lost"]
            total["late"] += s.get("late_deliveries", 0)
            total["malformed"] += s.get("malformed", 0)
            total["duplicated"] += s["duplicated"]
            total["reordered"] += s["reordered"]
            total["ack_errors"] += sum(s["ack_errors"].values())
    return total


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b; None when either is missing or the reference is not positive (a figure such
    as memory growth can come out zero or negative on a garbage-collected runtime, and a
    ratio against it means nothing)."""
    if a is None or b is None or b <= 0:
        return None
    return round(a / b, 3)


def by_server(runs: list[dict]) -> dict[str, dict]:
    return {r["server"]: r for r in runs}


def summarize(results: dict, ref: str, svcs: list[str]) -> dict:
    sc = results["scenarios"]
    summary: dict = {"services": {}}
    for svc in svcs:
        s: dict = {}
        if "fanout" in sc and svc in by_server(sc["fanout"]):
            f = by_server(sc["fanout"])
            s["fanout"] = {
                "service": sustained(f[svc]),
                "reference": sustained(f[ref]),
                "capped": [name for name in (svc, ref) if capped(f[name])],
                "ratio": ratio(sustained(f[svc]), sustained(f[ref])),
                "target": 0.8,
            }
        if "latency" in sc and svc in by_server(sc["latency"]):
            lat = by_server(sc["latency"])
            a, b = fixed_load(lat[svc]), fixed_load(lat[ref])
            s["latency"] = {
                "service": a["latency_ms"],
                "reference": b["latency_ms"],
                "p99_ratio": ratio(a["latency_ms"]["p99"], b["latency_ms"]["p99"]),
                "p99_target": 1.5,
                "cpu_us_per_delivery": [a["cpu_us_per_delivery"], b["cpu_us_per_delivery"]],
                "cpu_ratio": ratio(a["cpu_us_per_delivery"], b["cpu_us_per_delivery"]),
                "cpu_target": 1.5,
            }
        if "manyrooms" in sc and svc in by_server(sc["manyrooms"]):
            m = by_server(sc["manyrooms"])
            s["manyrooms"] = {
                "service": sustained(m[svc]),
                "reference": sustained(m[ref]),
                "ratio": ratio(sustained(m[svc]), sustained(m[ref])),
                "target": 0.6,
            }
        if "memory" in sc and {svc, f"{svc}-1p"} & set(by_server(sc["memory"])):
            mem = by_server(sc["memory"])
            # measured on one process: the runs carry the one-process variant's name
            a, b = (mem.get(f"{n}-1p", mem.get(n))["rss_per_1000_bytes"] for n in (svc, ref))
            s["memory"] = {"service": a, "reference": b, "ratio": ratio(a, b), "target": 1.5}
        if "scaling" in sc and svc in by_server(sc["scaling"]):
            sc_runs = by_server(sc["scaling"])
            s["scaling"] = {
                "service": ratio(sustained(sc_runs[svc]), sustained(sc_runs[f"{svc}-1p"])),
                "reference": ratio(sustained(sc_runs[ref]), sustained(sc_runs[f"{ref}-1p"])),
                "service_1proc": sustained(sc_runs[f"{svc}-1p"]),
                "service_2proc": sustained(sc_runs[svc]),
                "reference_1proc": sustained(sc_runs[f"{ref}-1p"]),
                "reference_2proc": sustained(sc_runs[ref]),
            }
        if "persistence" in sc and svc in by_server(sc["persistence"]):
            runs = by_server(sc["persistence"])
            cost = {}
            for name in (svc, ref):
                off, on = sustained(runs[f"{name}-nodb"]), sustained(runs[name])
                cost[name] = round(1 - on / off, 3) if off else None
            s["persistence"] = {
                "service_cost": cost[svc],
                "reference_cost": cost[ref],
                "service_without_db": sustained(runs[f"{svc}-nodb"]),
                "service_with_db": sustained(runs[svc]),
                "reference_without_db": sustained(runs[f"{ref}-nodb"]),
                "reference_with_db": sustained(runs[ref]),
                "target": 0.10,
            }
            lat = by_server(sc.get("latency-persistence", []))
            if svc in lat and f"{svc}-nodb" in lat:
                a = fixed_load(lat[svc])["cpu_us_per_delivery"]
                b = fixed_load(lat[f"{svc}-nodb"])["cpu_us_per_delivery"]
                s["persistence"]["cpu_us_per_delivery"] = [a, b]
                s["persistence"]["cpu_cost"] = round(1 - b / a, 3) if a and b else None
        summary["services"][svc] = s
    all_runs = [r for runs in sc.values() for r in runs]
    summary["integrity"] = {
        name: integrity([r for r in all_runs if r["server"] in (name,) or r["server"].startswith(f"{name}-")])
        for name in [ref, *svcs]
    }
    return summary
