"""Checks of Terraform modules: formatting, `terraform validate`, `terraform test`."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

from report import ItemResult, Problem
from toolchain import Toolchain, json_lines

CONFIG_ALIASES = re.compile(r"configuration_aliases\s*=\s*\[([^\]]*)\]")
ALIAS_REF = re.compile(r"\b([a-z][a-z0-9_-]*)\.([a-zA-Z_][\w-]*)")
ALIAS_FILE = "zz_iaccheck_aliases.tf"
COPY_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", ".git")


def discover(modules_dir: Path) -> list[Path]:
    if not modules_dir.is_dir():
        return []
    return sorted(
        d for d in modules_dir.iterdir() if d.is_dir() and not d.name.startswith(".") and any(d.glob("*.tf"))
    )


def copy_tree(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=COPY_IGNORE, symlinks=True)


def configuration_aliases(module: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for tf in sorted(module.glob("*.tf")):
        for m in CONFIG_ALIASES.finditer(tf.read_text(errors="replace")):
            for name, alias in ALIAS_REF.findall(m.group(1)):
                if (name, alias) not in found:
                    found.append((name, alias))
    return found


def add_alias_providers(module: Path) -> None:
    """validate needs a configuration for every alias a module expects from its caller."""
    aliases = configuration_aliases(module)
    if aliases:
        text = "".join(f'provider "{n}" {{\n  alias = "{a}"\n}}\n' for n, a in aliases)
        (module / ALIAS_FILE).write_text(text)


def diag_problem(check: str, diag: dict, rel_dir: str) -> Problem:
    rng = diag.get("range") or {}
    filename = rng.get("filename", "")
    line = (rng.get("start") or {}).get("line")
    summary = diag.get("summary", "").strip()
    detail = " ".join(diag.get("detail", "").split())
    message = f"{summary}: {detail}" if detail else summary
    if filename:
        filename = f"{rel_dir}/{filename}" if rel_dir else filename
    return Problem(check, message, filename, line)


def fmt_check(tc: Toolchain, root: Path, targets: list[Path], scratch: Path) -> ItemResult:
    """`terraform fmt -check` on .tf/.tfvars/.tftest.hcl, and on .hcl files through .tf copies."""
    started = time.monotonic()
    result = ItemResult("fmt: terraform fmt -check (.tf, .tfvars, .tftest.hcl) and .hcl files")
    files: list[Path] = []
    hcl: list[Path] = []
    for t in targets:
        if t.is_file():
            (hcl if t.suffix == ".hcl" and not t.name.endswith(".tftest.hcl") else files).append(t)
            continue
        for f in sorted(t.rglob("*")):
            if any(part.startswith(".") for part in f.relative_to(t).parts):
                continue
            if f.name.endswith((".tf", ".tfvars", ".tftest.hcl")):
                files.append(f)
            elif f.suffix == ".hcl":
                hcl.append(f)
    # terraform fmt refuses names it does not know; the formatter is the one `terragrunt
    # hclfmt` uses, so a .tf copy of each .hcl file gives the same verdict.
    hcl_dir = scratch / "hclfmt"
    if hcl_dir.exists():
        shutil.rmtree(hcl_dir)
    hcl_dir.mkdir(parents=True)
    mapping: dict[str, Path] = {}
    for i, f in enumerate(hcl):
        name = f"f{i:04d}.tf"
        shutil.copyfile(f, hcl_dir / name)
        mapping[str((hcl_dir / name).resolve())] = f
    batch = [str(f) for f in files] + list(mapping)
    result.detail = f"{len(files)} Terraform files, {len(hcl)} Terragrunt files"
    for i in range(0, len(batch), 200):
        chunk = batch[i : i + 200]
        r = tc.terraform(["fmt", "-check", "-list=true", "-no-color", *chunk], cwd=root)
        for line in r.out.splitlines():
            line = line.strip()
            if not line:
                continue
            src = mapping.get(str((root / line).resolve()), Path(line))
            result.problems.append(
                Problem("fmt", "not formatted (run `make fmt` or tools/terraform fmt FILE)", rel(root, src))
            )
        if r.rc not in (0, 3):
            result.problems.extend(_fmt_errors(r.err, mapping, root))
    result.seconds = time.monotonic() - started
    return result


def _fmt_errors(err: str, mapping: dict[str, Path], root: Path) -> list[Problem]:
    """Syntax errors: `Error: <summary>` then `on <file> line <n>`."""
    out = []
    for m in re.finditer(r"Error: (.*)\n(?:.*\n)*?\s*on (\S+) line (\d+)", err):
        src = mapping.get(str((root / m.group(2)).resolve()), Path(m.group(2)))
        out.append(Problem("fmt", f"cannot be parsed: {m.group(1)}", rel(root, src), int(m.group(3))))
    if not out and err.strip():
        out.append(Problem("fmt", " ".join(err.split())[-400:]))
    return out


def rel(root: Path, p: Path | str) -> str:
    try:
        return str(Path(p).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(p)


def validate_and_test(
    tc: Toolchain, root: Path, module: Path, scratch_module: Path, data_dir: Path, types: Path
) -> ItemResult:
    started = time.monotonic()
    rel_dir = rel(root, module)
    result = ItemResult(f"module {rel_dir}: validate + test")
    add_alias_providers(scratch_module)
    init = tc.terraform(
        ["init", "-backend=false", "-input=false", "-no-color"], scratch_module, data_dir, types
    )
    if init.rc != 0:
        text = " ".join((init.err or init.out).split())
        result.problems.append(Problem("init", f"terraform init failed: {text[-600:]}", rel_dir))
        result.seconds = time.monotonic() - started
        return result
    val = tc.terraform(["validate", "-json", "-no-color"], scratch_module, data_dir, types)
    try:
        report = json.loads(val.out)
    except json.JSONDecodeError:
        report = {"valid": False, "diagnostics": [{"summary": (val.err or val.out).strip()}]}
    for d in report.get("diagnostics", []):
        if d.get("severity", "error") == "error":
            result.problems.append(diag_problem("validate", d, rel_dir))
    details = ["valid" if not result.problems else "invalid"]
    # Tests run without the alias file: a test file declares its own (mock) providers.
    (scratch_module / ALIAS_FILE).unlink(missing_ok=True)
    tests = sorted((module / "tests").glob("*.tftest.hcl"))
    if not tests:
        result.problems.append(Problem("test", "module has no tests/*.tftest.hcl", rel_dir))
    elif not result.problems:
        problems, summary = run_tests(tc, scratch_module, data_dir, types, rel_dir)
        result.problems.extend(problems)
        details.append(summary)
    result.detail = ", ".join(details)
    result.seconds = time.monotonic() - started
    return result


def run_tests(
    tc: Toolchain, scratch_module: Path, data_dir: Path, types: Path, rel_dir: str
) -> tuple[list[Problem], str]:
    r = tc.terraform(["test", "-json", "-no-color"], scratch_module, data_dir, types)
    problems: list[Problem] = []
    passed = failed = errored = 0
    summary_seen = False
    for ev in json_lines(r.out):
        kind = ev.get("type")
        if kind == "diagnostic" and ev.get("@level") == "error":
            d = ev.get("diagnostic", {})
            p = diag_problem("test", d, rel_dir)
            run = ev.get("@testrun")
            if run:
                p = Problem(p.check, f'run "{run}": {p.message}', p.file, p.line)
            problems.append(p)
        elif kind == "test_summary":
            s = ev.get("test_summary", {})
            passed, failed = s.get("passed", 0), s.get("failed", 0)
            errored = s.get("errored", 0)
            summary_seen = True
    if r.rc != 0 and not problems:
        text = " ".join((r.err or r.out).split())
        problems.append(Problem("test", f"terraform test failed: {text[-600:]}", rel_dir))
    if not summary_seen and not problems:
        problems.append(Problem("test", "terraform test printed no summary", rel_dir))
    summary = f"tests: {passed} passed, {failed} failed"
    if errored:
        summary += f", {errored} errored"
    return problems, summary
