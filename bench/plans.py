"""Load plans of the scenarios: what loadgen.js offers each server, step by step."""

from __future__ import annotations

LATENCY_RATE = 2000  # deliveries/s of the latency scenario
# Offered fan-out loads (deliveries/s); a ramp stops at its first failing step.
FANOUT_RAMP = [500, 1000, 2000, 3000, 4500, 6750, 10000, 15000, 22500, 34000, 50000, 75000]
MANYROOMS_RAMP = [250, 500, 1000, 1500, 2250, 3400, 5000, 7500, 11000, 17000, 25000, 34000]
QUICK_RAMP = [2000, 4000, 8000, 16000, 32000]


def ramp_steps(levels: list[int], room_size: int, duration: float) -> list[dict]:
    return [{"sends_per_s": d / room_size, "duration_s": duration} for d in levels]


def fanout_plan(levels: list[int], duration: float, users: int, refine: int = 2) -> dict:
    return {
        "users": users,
        "rooms": ["fanout"],
        "clients": 100,
        "steps": ramp_steps(levels, 100, duration),
        "stop_on_fail": True,
        "refine": refine,
    }


def latency_plan(windows: int, seconds: float, users: int) -> dict:
    """Fixed load in several short windows; the servers' windows alternate (see fixed_load)."""
    return {
        "users": users,
        "rooms": ["latency"],
        "clients": 100,
        "steps": [{"sends_per_s": LATENCY_RATE / 100, "duration_s": seconds}] * windows,
    }


def manyrooms_plan(levels: list[int], duration: float, users: int, refine: int = 2) -> dict:
    return {
        "users": users,
        "rooms": [f"many-{i}" for i in range(50)],
        "clients": 500,
        "steps": ramp_steps(levels, 10, duration),
        "stop_on_fail": True,
        "refine": refine,
    }


def idle_plan(users: int) -> dict:
    return {
        "mode": "idle",
        "users": users,
        "rooms": [f"idle-{i}" for i in range(20)],
        "clients": 1000,
        "settle_ms": 3000,
        "connect_concurrency": 40,
    }
