"""Rendering Terragrunt units into plain root modules, and validating the renders.

A render is what Terragrunt would hand Terraform, minus the backend: the generated files (the
provider with its assume_role and default tags, and any other generate block) plus a `module`
call of the unit's module with every input as a literal (dependency outputs replaced by their
mocks). `terraform validate` then type-checks the environment's real values against the module's
variables, and checkov scans the module with those values.
"""

from __future__ import annotations

import hashlib
import json
import re
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
    name: str  # the module call's name in the batch root, e.g. u003
    module_rel: str  # the module's path inside the scratch tree, e.g. modules/network
    first_line: int = 0
    last_line: int = 0
    input_lines: dict[int, str] = field(default_factory=dict)  # main.tf line -> input name
    problems: list[Problem] = field(default_factory=list)


PROVIDER_HEAD = re.compile(r'provider\s+"([\w-]+)"\s*\{')


def block_end(text: str, open_brace: int) -> int:
    """Index just past the brace that closes the one at open_brace (strings skipped)."""
    depth, i, in_str = 0, open_brace, False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def aliased_providers(text: str, file: str, seen: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The provider blocks of a generated file, each as an aliased configuration of the root.

    All renders share one root module (one init and one validate for every unit), so a unit's
    provider configurations become aliases (aws -> aws.p1a2b3c4d, aws.us_east_1 ->
    aws.p5e6f7a8b_us_east_1). Terraform starts a provider process per configuration, so units
    whose generated configuration is identical (same env and region) share one: `seen` maps a
    configuration's text to its alias across calls. Returns (new blocks, {original: aliased}).
    """
    blocks = hcl.parse(text, file).blocks_of("provider")
    out, mapping = [], {}
    for block, m in zip(blocks, PROVIDER_HEAD.finditer(text), strict=False):
        name = m.group(1)
        body = text[m.start() : block_end(text, m.end() - 1)]
        alias = block.body.attributes.get("alias")
        original = f"{name}.{alias.expr.args[0]}" if alias is not None else name
        key = " ".join(body.split())
        if key not in seen:
            tag = "p" + hashlib.sha256(key.encode()).hexdigest()[:8]
            if alias is not None and alias.expr.kind == "lit":
                new_alias = f"{tag}_{alias.expr.args[0]}"
                body = re.sub(r'alias\s*=\s*"[^"]*"', f'alias = "{new_alias}"', body, count=1)
            else:
                new_alias = tag
                brace = body.index("{") + 1
                body = body[:brace] + f'\n  alias = "{new_alias}"' + body[brace:]
            seen[key] = f"{name}.{new_alias}"
            out.append(body)
        mapping[original] = seen[key]
    return "\n\n".join(out) + ("\n" if out else ""), mapping


def render_all(reader: Reader, units: list[tuple[int, Unit]], dest: Path, tree: Path) -> list[Render]:
    """Every unit as a module call in one root module at dest (generated providers aliased)."""
    dest.mkdir(parents=True, exist_ok=True)
    renders: list[Render] = []
    lines: list[str] = []
    seen: dict[str, str] = {}
    for index, unit in units:
        name = f"u{index:03d}"
        module_rel = reader.rel(unit.module_dir)
        render = Render(unit, name, module_rel)
        target = tree / module_rel
        if not target.exists():
            shutil.copytree(unit.module_dir, target, ignore=shutil.ignore_patterns(".terraform*"))
        mapping: dict[str, str] = {}
        provider_text = []
        for label, gen in unit.generate.items():
            path, contents = gen.get("path", ""), gen.get("contents", "")
            if not path.endswith(".tf") or not isinstance(contents, str) or gen.get("disable") is True:
                continue
            where = f'{reader.rel(unit.file)} generate "{label}"'
            try:
                text, found = aliased_providers(contents, where, seen)
            except HclError as exc:
                msg = f'generate "{label}" writes invalid HCL: {exc.message}'
                render.problems.append(Problem("terragrunt", msg, reader.rel(unit.file)))
                continue
            provider_text.append(text)
            mapping.update(found)
        if any(provider_text):
            (dest / f"providers_{name}.tf").write_text("\n".join(provider_text))
        mod = reader.module(unit.module_dir)
        needed = [f"{n}.{a}" for n, a in mod.aliases]
        for p in needed:
            if p not in mapping:
                render.problems.append(
                    Problem(
                        "terragrunt",
                        f"{unit.rel}: module {module_rel} expects provider configuration {p} "
                        "(configuration_aliases) but the unit's generated provider file does not "
                        "declare it",
                        reader.rel(unit.file),
                    )
                )
        render.first_line = len(lines) + 1
        lines += [f'module "{name}" {{', f'  source = "../{module_rel}"']
        passed = {
            k: v
            for k, v in mapping.items()
            if k.split(".")[0] in mod.providers and ("." not in k or k in needed)
        }
        if passed:
            lines.append("  providers = {")
            lines += [f"    {k} = {v}" for k, v in sorted(passed.items())]
            lines.append("  }")
        for key_name, value in unit.inputs.items():
            key = key_name if hcl_ident(key_name) else f'"{key_name}"'
            chunk = f"  {key} = {hcl_literal(value, 2)}".split("\n")
            first = len(lines) + 1
            lines.extend(chunk)
            for n in range(first, first + len(chunk)):
                render.input_lines[n] = key_name
        lines += ["}", ""]
        render.last_line = len(lines)
        renders.append(render)
    (dest / "main.tf").write_text("\n".join(lines) + "\n")
    return renders


def hcl_ident(name: str) -> bool:
    return (
        bool(name) and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c in "_-" for c in name)
    )


def map_diagnostic(reader: Reader, renders: list[Render], d: dict) -> tuple[Render | None, Problem]:
    """A diagnostic of the batch root, as a problem of the unit (and input) it comes from."""
    p = diag_problem("unit-validate", d, "")
    rng = d.get("range") or {}
    line = (rng.get("start") or {}).get("line") or 0
    text = json.dumps(d)
    owner = None
    if p.file == "main.tf":
        owner = next((r for r in renders if r.first_line <= line <= r.last_line), None)
    if owner is None:
        m = re.search(r"\bmodule\.(u\d{3})\b|providers_(u\d{3})\.tf", text)
        if m:
            owner = next((r for r in renders if r.name in m.groups()), None)
    if owner is None:
        return None, p
    unit = owner.unit
    message = re.sub(r"\bmodule\.u\d{3}\b", "module", p.message)
    if p.file == "main.tf":
        name = owner.input_lines.get(line)
        if name is not None:
            file, src_line = unit.input_lines.get(name, (reader.rel(unit.file), None))
            return owner, Problem(p.check, f"{unit.rel}: input {name!r}: {message}", file, src_line)
        return owner, Problem(p.check, f"{unit.rel}: {message}", reader.rel(unit.file))
    file = p.file
    if "../" in file:
        file = file[file.rfind("../") + 3 :]
    return owner, Problem(p.check, f"{unit.rel}: {message}", file, p.line)


def validate_all(
    tc: Toolchain, reader: Reader, renders: list[Render], dest: Path, data_dir: Path, types: Path
) -> list[ItemResult]:
    """One init and one validate for every rendered unit; one result line per unit."""
    started = time.monotonic()
    results = {r.name: ItemResult(f"unit {r.unit.rel}: render + validate ({r.module_rel})") for r in renders}
    for r in renders:
        results[r.name].problems.extend(r.problems)
    general = ItemResult(f"units: terraform init + validate of {len(renders)} rendered units")
    init = tc.terraform(["init", "-backend=false", "-input=false", "-no-color"], dest, data_dir, types)
    if init.rc != 0:
        text = " ".join((init.err or init.out).split())[-800:]
        general.problems.append(Problem("init", f"terraform init of the rendered units failed: {text}"))
    else:
        val = tc.terraform(["validate", "-json", "-no-color"], dest, data_dir, types)
        try:
            report = json.loads(val.out)
        except json.JSONDecodeError:
            report = {"diagnostics": [{"summary": (val.err or val.out).strip()[-600:]}]}
        for d in report.get("diagnostics", []):
            if d.get("severity", "error") != "error":
                continue
            owner, problem = map_diagnostic(reader, renders, d)
            (results[owner.name] if owner else general).problems.append(problem)
    elapsed = time.monotonic() - started
    general.seconds = elapsed
    general.detail = "init failed" if init.rc != 0 else "validated together"
    out = [general]
    for r in renders:
        res = results[r.name]
        res.detail = "valid" if not res.problems else "invalid"
        res.seconds = elapsed
        out.append(res)
    return out
