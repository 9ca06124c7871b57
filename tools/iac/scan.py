"""Policy scans: checkov (with the inline-suppression rule) and cfn-lint."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from report import ItemResult, Problem
from toolchain import Toolchain

SKIP = re.compile(r"checkov:skip=([^\s:]*)(?::([^\n]*))?")
MIN_REASON = 8
CFN_MARKERS = ("AWSTemplateFormatVersion", "Resources")
CFN_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+):\d+:\d+:(?P<rule>[EWI]\d+):(?P<msg>.*)$")


def config_problems(root: Path) -> list[Problem]:
    """The project's rule: suppressions live next to the resource, with a reason."""
    cfg = root / ".checkov.yaml"
    if not cfg.exists():
        return []
    out = []
    for n, line in enumerate(cfg.read_text().splitlines(), 1):
        if re.match(r"\s*(skip-check|skip_check)\s*:", line):
            out.append(
                Problem(
                    "checkov",
                    "skip-check in .checkov.yaml: suppress inline with "
                    "#checkov:skip=CKV_ID:reason in the resource instead",
                    ".checkov.yaml",
                    n,
                )
            )
    return out


def unit_skip_comments(files: list[Path], display) -> tuple[dict[str, str], list[Problem]]:
    """Suppressions for a rendered unit, written in its terragrunt.hcl or its env.hcl.

    A module's inline skip holds for every environment; an environment's deliberate choice (dev
    without deletion protection, say) is suppressed where that choice is made, with its reason.
    """
    skips: dict[str, str] = {}
    problems = skip_reason_problems(files, None, display)
    for f in files:
        for m in SKIP.finditer(f.read_text(errors="replace")):
            reason = (m.group(2) or "").strip()
            if m.group(1) and len(reason) >= MIN_REASON:
                for check in m.group(1).split(","):
                    skips[check] = reason
    return skips, problems


def skip_reason_problems(files: list[Path], root: Path | None, display) -> list[Problem]:
    out = []
    for f in files:
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            for m in SKIP.finditer(line):
                check, reason = m.group(1), (m.group(2) or "").strip()
                if not check:
                    out.append(Problem("skip-reason", "checkov:skip names no check id", display(f), n))
                elif len(reason) < MIN_REASON:
                    out.append(
                        Problem(
                            "skip-reason",
                            f"checkov:skip={check} has no reason: write "
                            f"#checkov:skip={check}:<why this check does not apply>",
                            display(f),
                            n,
                        )
                    )
    return out


def checkov_reports(text: str) -> list[dict]:
    text = text.strip()
    if not text:
        return []
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return []
    data = json.loads(text[start:])
    return data if isinstance(data, list) else [data]


def unit_of(fc: dict, units: dict | None):
    """The rendered unit a finding belongs to (renders live in units/uNNN/)."""
    if not units:
        return None
    blob = json.dumps(
        {
            k: fc.get(k)
            for k in ("caller_file_path", "file_path", "file_abs_path", "resource", "module_caller_file_path")
        }
    )
    for m in re.finditer(r"(?:/|module\.)(u\d{3})(?:/|\.)", blob):
        if m.group(1) in units:
            return units[m.group(1)]
    return None


def run_checkov(
    tc: Toolchain,
    root: Path,
    target: Path,
    name: str,
    display,
    config: Path | None,
    units: dict | None = None,
    unit_skips: dict | None = None,
    framework: str = "terraform",
) -> ItemResult:
    """checkov over target (a scratch copy, or bootstrap/ for CloudFormation); display maps a
    scanned path back to the project."""
    started = time.monotonic()
    result = ItemResult(name)
    argv = [
        str(tc.checkov),
        "-d",
        str(target),
        "--framework",
        framework,
        "-o",
        "json",
        "--skip-download",
        "--quiet",
        "--compact",
    ]
    if config is not None and config.exists():
        argv += ["--config-file", str(config)]
    r = tc.run(argv, cwd=target)
    try:
        reports = checkov_reports(r.out)
    except json.JSONDecodeError:
        reports = []
        tail = " ".join((r.err or r.out).split())[-600:]
        result.problems.append(Problem("checkov", f"checkov did not produce a report: {tail}"))
    passed = failed = skipped = 0
    for rep in reports:
        res = rep.get("results", {})
        summary = rep.get("summary", {})
        passed += summary.get("passed", 0)
        skipped += summary.get("skipped", 0)
        for err in res.get("parsing_errors", []) if summary.get("parsing_errors") else []:
            result.problems.append(Problem("checkov", "checkov could not parse the file", display(err)))
        for fc in res.get("failed_checks", []):
            failed += 1
            abs_path = fc.get("file_abs_path") or str(target) + fc.get("file_path", "")
            lines = fc.get("file_line_range") or [None]
            resource = fc.get("resource", "")
            msg = f"{fc.get('check_id')} {fc.get('check_name', '').rstrip('.')} ({resource})"
            unit = unit_of(fc, units)
            if unit is not None:
                if fc.get("check_id") in (unit_skips or {}).get(unit.rel, {}):
                    failed -= 1
                    skipped += 1
                    continue
                msg = f"{unit.rel}: {msg}"
            result.problems.append(Problem("checkov", msg, display(abs_path), lines[0]))
    if r.rc not in (0, 1) and not reports:
        tail = " ".join((r.err or r.out).split())[-600:]
        result.problems.append(Problem("checkov", f"checkov exited {r.rc}: {tail}"))
    result.detail = f"{passed} passed, {failed} failed, {skipped} skipped (inline, with reasons)"
    result.seconds = time.monotonic() - started
    return result


def is_cloudformation(path: Path) -> bool:
    text = path.read_text(errors="replace")
    return all(marker in text for marker in CFN_MARKERS)


def cfn_templates(bootstrap: Path) -> list[Path]:
    if not bootstrap.is_dir():
        return []
    files = [
        f
        for f in sorted(bootstrap.rglob("*"))
        if f.is_file()
        and f.suffix in (".yaml", ".yml", ".json", ".template")
        and not any(p.startswith(".") for p in f.relative_to(bootstrap).parts)
    ]
    return [f for f in files if is_cloudformation(f)]


def run_cfn_lint(tc: Toolchain, root: Path, templates: list[Path], display) -> ItemResult:
    started = time.monotonic()
    result = ItemResult("cfn-lint: bootstrap/ CloudFormation templates")
    r = tc.run([str(tc.cfn_lint), "--format", "parseable", "--", *[str(t) for t in templates]], cwd=root)
    counts = {"E": 0, "W": 0, "I": 0}
    for line in r.out.splitlines():
        m = CFN_LINE.match(line.strip())
        if not m:
            continue
        rule = m.group("rule")
        counts[rule[0]] += 1
        if rule[0] in "EW":
            result.problems.append(
                Problem(
                    "cfn-lint",
                    f"{rule} {m.group('msg').strip()}",
                    display(m.group("file")),
                    int(m.group("line")),
                )
            )
    if r.rc != 0 and not result.problems and r.rc & 2:
        tail = " ".join((r.err or r.out).split())[-600:]
        result.problems.append(Problem("cfn-lint", f"cfn-lint exited {r.rc}: {tail}"))
    result.detail = (
        f"{len(templates)} templates: {counts['E']} errors, {counts['W']} warnings, "
        f"{counts['I']} informational"
    )
    result.seconds = time.monotonic() - started
    return result


def cfn_skip_reason_problems(templates: list[Path], display) -> list[Problem]:
    """Every checkov skip in a template's Metadata (checkov: skip: [{id, comment}]) names a
    check and says why it does not apply."""
    out = []
    for path in templates:
        lines = path.read_text(errors="replace").splitlines()
        for n, line in enumerate(lines, 1):
            m = re.match(r"\s*-\s*id:\s*(\S*)\s*$", line)
            if not m or not any("checkov:" in prev for prev in lines[max(0, n - 4) : n]):
                continue
            nxt = lines[n] if n < len(lines) else ""
            reason = re.match(r"\s*comment:\s*(.*\S)", nxt)
            if not m.group(1) or not reason:
                out.append(
                    Problem(
                        "skip-reason",
                        "a checkov skip in Metadata needs an id and a comment: why",
                        display(path),
                        n,
                    )
                )
    return out
