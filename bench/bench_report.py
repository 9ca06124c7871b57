"""The results section of docs/benchmarks.md and its plots, from one run's results.json.

Only the part between the two markers is rewritten; the analysis around it is prose kept by
hand. ``python -m bench.bench_report bench/results/<run>/results.json`` (from the repository's
root) redraws from a saved run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # the backend above must be chosen before this import

SKELETON = """# Benchmarks

{start}
{end}
"""

COLORS = {"ref": "#444444", "svc": "#1f77b4", "svc-eventlet": "#1f77b4", "svc-gevent": "#2ca02c"}


def _mib(v: float | None) -> str:
    return "-" if v is None else f"{v / 2**20:.1f} MiB"


def _num(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}{unit}" if abs(v) >= 100 or v == int(v) else f"{v:,.1f}{unit}"


def _ratio(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def _verdict(v: float | None, target: float, higher_is_better: bool) -> str:
    if v is None:
        return "not measured"
    ok = v >= target if higher_is_better else v <= target
    return "meets" if ok else "**misses**"


def machine_section(m: dict) -> list[str]:
    node = ", ".join(f"{k} {v}" for k, v in m["node_packages"].items())
    py = ", ".join(f"{k} {v}" for k, v in m["python_packages"].items())
    load = " / ".join(f"{x:.1f}" for x in m["load_before"])
    load_after = " / ".join(f"{x:.1f}" for x in m.get("load_after", m["load_before"]))
    return [
        "| | |",
        "|---|---|",
        f"| date | {m['date']} |",
        f"| machine | {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']} |",
        f"| load average (1/5/15 min) before, after | {load}; {load_after} |",
        f"| runtimes | {m['python']}, Node.js {m['node']}, PostgreSQL {m['postgresql']}, "
        f"Redis {m['redis']} |",
        f"| Node.js packages | {node} |",
        f"| Python packages | {py} |",
    ]


def targets_table(results: dict) -> list[str]:
    lines = [
        "| scenario | measure | service | reference | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for svc, s in results["summary"]["services"].items():
        if "fanout" in s:
            f = s["fanout"]
            lines.append(
                f"| fan-out, {svc} | sustained deliveries/s | {_num(f['service'])} | "
                f"{_num(f['reference'])} | {_ratio(f['ratio'])} | >= 0.8 | "
                f"{_verdict(f['ratio'], 0.8, True)} |"
            )
        if "latency" in s:
            lat = s["latency"]
            lines.append(
                f"| latency at 2,000 deliveries/s, {svc} | p99 | "
                f"{_num(lat['service']['p99'], ' ms')} | {_num(lat['reference']['p99'], ' ms')} | "
                f"{_ratio(lat['p99_ratio'])} | <= 1.5 | "
                f"{_verdict(lat['p99_ratio'], 1.5, False)} |"
            )
            cpu = lat["cpu_us_per_delivery"]
            lines.append(
                f"| latency at 2,000 deliveries/s, {svc} | server CPU per delivery | "
                f"{_num(cpu[0], ' µs')} | {_num(cpu[1], ' µs')} | {_ratio(lat['cpu_ratio'])} | "
                f"<= 1.5 | {_verdict(lat['cpu_ratio'], 1.5, False)} |"
            )
        if "manyrooms" in s:
            m = s["manyrooms"]
            lines.append(
                f"| many rooms (500 clients, 50 rooms), {svc} | sustained deliveries/s | "
                f"{_num(m['service'])} | {_num(m['reference'])} | {_ratio(m['ratio'])} | >= 0.6 | "
                f"{_verdict(m['ratio'], 0.6, True)} |"
            )
        if "memory" in s:
            m = s["memory"]
            lines.append(
                f"| 1,000 idle joined connections, one process, {svc} | RSS growth | "
                f"{_mib(m['service'])} | {_mib(m['reference'])} | {_ratio(m['ratio'])} | <= 1.5 | "
                f"{_verdict(m['ratio'], 1.5, False)} |"
            )
        if "persistence" in s:
            p = s["persistence"]
            cost = p["service_cost"]
            ref_cost = p["reference_cost"]
            lines.append(
                f"| persistence cost (fan-out with / without INSERT), {svc} | throughput lost | "
                f"{'-' if cost is None else f'{cost:.0%}'} | "
                f"{'-' if ref_cost is None else f'{ref_cost:.0%}'} | - | <= 10% | "
                f"{_verdict(cost, 0.10, False)} |"
            )
        if "scaling" in s:
            sc = s["scaling"]
            lines.append(
                f"| scaling, {svc} | deliveries/s, two processes / one | {_ratio(sc['service'])} "
                f"| {_ratio(sc['reference'])} | - | (reported) | - |"
            )
    return lines


def async_modes_table(results: dict) -> list[str]:
    """The service in each async mode, side by side (same run, steps alternating)."""
    lines = [
        "| service mode | fan-out sustained deliveries/s | ratio to reference | p50 at 2,000/s | "
        "p99 at 2,000/s | CPU per delivery at 2,000/s |",
        "|---|---|---|---|---|---|",
    ]
    for svc, s in results["summary"]["services"].items():
        f, lat = s.get("fanout", {}), s.get("latency", {})
        cpu = lat.get("cpu_us_per_delivery", [None])[0]
        lines.append(
            f"| {svc} | {_num(f.get('service'))} | {_ratio(f.get('ratio'))} | "
            f"{_num(lat.get('service', {}).get('p50'), ' ms')} | "
            f"{_num(lat.get('service', {}).get('p99'), ' ms')} | {_num(cpu, ' µs')} |"
        )
    return lines


def integrity_table(results: dict) -> list[str]:
    lines = [
        "| server | load steps | lost deliveries | late (after the 3 s drain) | duplicated | "
        "out of id order | not the contract's message object | failed acks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, i in results["summary"]["integrity"].items():
        lines.append(
            f"| {name} | {i['steps']} | {i['lost']} | {i.get('late', '-')} | {i['duplicated']} | "
            f"{i['reordered']} | {i.get('malformed', '-')} | "
            f"{i['ack_errors']} |"
        )
    return lines


def steps_table(runs: list[dict]) -> list[str]:
    lines = [
        "| server | processes | offered/s | delivered/s | acked sends/s | p50 ms | p95 ms | "
        "p99 ms | server CPU | CPU µs/delivery | lost | dup | pass |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        for s in r.get("steps", []):
            lat = s["latency_ms"]
            lines.append(
                f"| {r['server']} | {r['processes']} | {s['offered_deliveries_per_s']:,} | "
                f"{s['delivered_per_s']:,} | {s['acked_per_s']:,} | {_num(lat['p50'])} | "
                f"{_num(lat['p95'])} | {_num(lat['p99'])} | {s['server_cpu_percent']}% | "
                f"{_num(s['server_cpu_us_per_delivery'])} | {s['lost']} | {s['duplicated']} | "
                f"{'yes' if s['pass'] else 'no'} |"
            )
    return lines


def memory_table(runs: list[dict]) -> list[str]:
    lines = [
        "| server | connections added | RSS with the first 1,000 | RSS with all "
        "| growth per 1,000 | connect time |",
        "|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['server']} | {r['clients']} | {_mib(r['rss_before_bytes'])} | "
            f"{_mib(r['rss_after_bytes'])} | {_mib(r['rss_per_1000_bytes'])} | {r['connect_s']} s |"
        )
    return lines


def plot_ramp(runs: list[dict], title: str, path: Path) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in runs:
        steps = sorted(r.get("steps", []), key=lambda s: s["offered_deliveries_per_s"])
        if not steps:
            continue
        offered = [s["offered_deliveries_per_s"] for s in steps]
        color = COLORS.get(r["server"])
        ax1.plot(offered, [s["delivered_per_s"] for s in steps], "o-", label=r["server"], color=color)
        p99 = [s["latency_ms"]["p99"] or float("nan") for s in steps]
        ax2.plot(offered, p99, "o-", label=r["server"], color=color)
    top = max((s["offered_deliveries_per_s"] for r in runs for s in r.get("steps", [])), default=1)
    ax1.plot([0, top], [0, top], ":", color="#999999", label="offered")
    ax1.set_xlabel("offered deliveries/s")
    ax1.set_ylabel("delivered/s")
    ax1.set_title(f"{title}: throughput")
    ax2.axhline(500, color="#cc0000", linestyle="--", linewidth=1, label="p99 limit 500 ms")
    ax2.set_yscale("log")
    ax2.set_xlabel("offered deliveries/s")
    ax2.set_ylabel("p99 send-to-delivery latency (ms)")
    ax2.set_title(f"{title}: p99 latency")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def results_section(results: dict, img_rel: str) -> list[str]:
    sc = results["scenarios"]
    out = [
        f"Generated by `bench/run --full` on {results['machine']['date']} in "
        f"{results['elapsed_s']:.0f} s. Re-run it to refresh this section.",
        "",
        *[f"Note: {note}\n" for note in results.get("notes", [])],
        "### Machine and versions",
        "",
        *machine_section(results["machine"]),
        "",
        "### Against the targets",
        "",
        *targets_table(results),
        "",
        *(
            ["### eventlet and gevent", "", *async_modes_table(results), ""]
            if len(results["summary"]["services"]) > 1
            else []
        ),
        "### Integrity (every receiver checks every acknowledged message)",
        "",
        *integrity_table(results),
        "",
    ]
    plots = [
        ("fanout", "Fan-out, 100 clients in one room"),
        ("manyrooms", "500 clients in 50 rooms"),
        ("scaling", "Fan-out on one process and on two (scaling)"),
        ("persistence", "Fan-out with and without database writes (BENCH_NO_PERSIST=1)"),
    ]
    for key, title in plots:
        if key in sc:
            name = f"bench-{key}.png"
            out += [
                f"### {title}",
                "",
                f"![{title}]({img_rel}/{name})",
                "",
                *steps_table(sc[key]),
                "",
            ]
    extra = [
        ("latency", "Latency at 2,000 deliveries/s"),
        ("latency-persistence", "Latency at 2,000 deliveries/s with and without database writes"),
    ]
    for key, title in extra:
        if key in sc:
            out += [f"### {title}", "", *steps_table(sc[key]), ""]
    if "memory" in sc:
        out += [
            "### 1,000 idle joined connections on one process",
            "",
            "1,000 connections are opened and kept first, then 1,000 more: the growth is what",
            "the second 1,000 cost, so one-time growth (heap, pools, allocator arenas) is not counted.",
            "",
            *memory_table(sc["memory"]),
            "",
        ]
    return out


def write_docs(results: dict, docs: Path, img: Path, start: str, end: str) -> None:
    sc = results["scenarios"]
    if "fanout" in sc:
        plot_ramp(sc["fanout"], "Fan-out", img / "bench-fanout.png")
    titles = {"manyrooms": "Many rooms", "scaling": "Scaling", "persistence": "Persistence"}
    for key, title in titles.items():
        if key in sc:
            plot_ramp(sc[key], title, img / f"bench-{key}.png")
    text = docs.read_text() if docs.exists() else SKELETON.format(start=start, end=end)
    if start not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n## Results\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    img_rel = Path("img") if img.parent == docs.parent else img
    body = "\n".join(results_section(results, str(img_rel)))
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(f"{head}{start}\n{body}\n{end}{tail}")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    from bench.summary import summarize

    saved = json.loads(Path(sys.argv[1]).read_text())
    # summarised again so a saved run is shown the way the current code reads it
    saved["summary"] = summarize(saved, "ref", list(saved["summary"]["services"]))
    write_docs(
        saved,
        root / "docs" / "benchmarks.md",
        root / "docs" / "img",
        "<!-- bench:results:start -->",
        "<!-- bench:results:end -->",
    )
