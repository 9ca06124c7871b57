"""Rendering Terragrunt units into plain root modules, and validating the renders.

A render is what Terragrunt would hand Terraform, minus the backend: the generated files (the
provider with its assume_role and default tags, and any other generate block) plus a `module`
call of the unit's module with every input as a literal (dependency outputs replaced by their
mocks). `terraform validate` then type-checks the environment's real values against the module's
variables, and checkov scans the module with those values.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import hcl
from hcl import HclError
from report import ItemResult, Problem
from terragrunt import Reader, Unit, hcl_literal
from toolchain import Toolchain

from modules import diag_problem


@dataclass
class Render:
    unit: Unit
    dir: Path
    module_rel: str  # the module's path inside the scratch tree, e.g. modules/network
    input_lines: dict[int, str] = field(default_factory=dict)  # main.tf line -> input name
    problems: list[Problem] = field(default_factory=list)


def provider_configs(text: str, file: str) -> set[str]:
    """Provider configurations a generated file declares: "aws", "aws.us_east_1", ..."""
    out: set[str] = set()
    for b in hcl.parse(text, file).blocks_of("provider"):
        name = b.labels[0] if b.labels else ""
        alias = b.body.attributes.get("alias")
        if alias is not None and alias.expr.kind == "lit":
            out.add(f"{name}.{alias.expr.args[0]}")
        else:
            out.add(name)
    return out


def render_unit(reader: Reader, unit: Unit, dest: Path, tree: Path) -> Render:
    module_rel = reader.rel(unit.module_dir)
    render = Render(unit, dest, module_rel)
    dest.mkdir(parents=True, exist_ok=True)
    target = tree / module_rel
    if not target.exists():
        shutil.copytree(unit.module_dir, target, ignore=shutil.ignore_patterns(".terraform*"))
    declared: set[str] = set()
    for label, gen in unit.generate.items():
        path, contents = gen.get("path", ""), gen.get("contents", "")
        if not path.endswith(".tf") or not isinstance(contents, str):
            continue
        if gen.get("disable") is True:
            continue
        name = path.replace("/", "_")
        (dest / name).write_text(contents)
        try:
            declared |= provider_configs(contents, f'{reader.rel(unit.file)} generate "{label}"')
        except HclError as exc:
            render.problems.append(
                Problem(
                    "terragrunt",
                    f'generate "{label}" writes invalid HCL: {exc.message}',
                    reader.rel(unit.file),
                )
            )
    mod = reader.module(unit.module_dir)
    lines = ['module "unit" {', f'  source = "../../{module_rel}"']
    needed = [f"{n}.{a}" for n, a in mod.aliases]
    missing = [p for p in needed if p not in declared]
    for p in missing:
        render.problems.append(
            Problem(
                "terragrunt",
                f"module {module_rel} expects provider configuration {p} (configuration_aliases) "
                "but the unit's generated provider file does not declare it",
                reader.rel(unit.file),
            )
        )
    if needed and not missing:
        passed = sorted({p for p in declared if p.split(".")[0] in mod.providers} | set(needed))
        lines.append("  providers = {")
        lines += [f"    {p} = {p}" for p in passed]
        lines.append("  }")
    for name, value in unit.inputs.items():
        key = name if hcl_ident(name) else f'"{name}"'
        chunk = f"  {key} = {hcl_literal(value, 2)}".split("\n")
        first = len(lines) + 1
        lines.extend(chunk)
        for n in range(first, first + len(chunk)):
            render.input_lines[n] = name
    lines.append("}")
    (dest / "main.tf").write_text("\n".join(lines) + "\n")
    return render


def hcl_ident(name: str) -> bool:
    return (
        bool(name) and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c in "_-" for c in name)
    )


def map_diagnostic(reader: Reader, render: Render, p: Problem, scratch_tree: Path) -> Problem:
    unit = render.unit
    if p.file == f"{render.dir.relative_to(scratch_tree)}/main.tf":
        name = render.input_lines.get(p.line or 0)
        if name is not None:
            file, line = unit.input_lines.get(name, (reader.rel(unit.file), None))
            return Problem(p.check, f"{unit.rel}: input {name!r}: {p.message}", file, line)
        return Problem(p.check, f"{unit.rel}: {p.message}", reader.rel(unit.file))
    file = p.file
    if "../" in file:
        file = file[file.rfind("../") + 3 :]
    return Problem(p.check, f"{unit.rel}: {p.message}", file, p.line)


def validate_group(
    tc: Toolchain, reader: Reader, renders: list[Render], data_dir: Path, types: Path, tree: Path
) -> list[ItemResult]:
    """One `init` per module serves every unit of that module: the renders are alike in shape."""
    results: list[ItemResult] = []
    lock: Path | None = None
    for render in renders:
        started = time.monotonic()
        res = ItemResult(f"unit {render.unit.rel}: render + validate ({render.module_rel})")
        res.problems.extend(render.problems)
        if lock is not None:
            shutil.copyfile(lock, render.dir / ".terraform.lock.hcl")
        else:
            init = tc.terraform(
                ["init", "-backend=false", "-input=false", "-no-color"], render.dir, data_dir, types
            )
            if init.rc != 0:
                text = " ".join((init.err or init.out).split())[-600:]
                res.problems.append(Problem("init", f"{render.unit.rel}: terraform init failed: {text}"))
                res.seconds = time.monotonic() - started
                results.append(res)
                continue
            lock = render.dir / ".terraform.lock.hcl"
        val = tc.terraform(["validate", "-json", "-no-color"], render.dir, data_dir, types)
        try:
            report = json.loads(val.out)
        except json.JSONDecodeError:
            report = {"diagnostics": [{"summary": (val.err or val.out).strip()[-600:]}]}
        rel_dir = str(render.dir.relative_to(tree))
        for d in report.get("diagnostics", []):
            if d.get("severity", "error") == "error":
                p = diag_problem("unit-validate", d, rel_dir)
                res.problems.append(map_diagnostic(reader, render, p, tree))
        res.detail = "valid" if not res.problems else "invalid"
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
