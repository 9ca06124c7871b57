"""The Terragrunt units of one environment a change touches: what a pull request's plan covers.

    git diff --name-only origin/main...HEAD | python scripts/ci/changed_units.py dev

Prints one unit directory per line (live/dev/us-west-2/app-asg), in no particular order; nothing
when the change touches no unit of that environment. A unit is touched when a changed file is:
in its directory; in its module, or in a module its module calls (modules/kms-key); in the
Lambda source of the package it deploys (an input naming dist/lambdas/<name>.zip, built from
lambdas/<name>), or the build script of that package; a configuration file it reads (the root
terragrunt.hcl, live/<env>/*.hcl, live/<env>/<region>/*.hcl). Units that depend on a touched
unit are touched too: their inputs may change with its outputs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "iac"))

import terragrunt  # noqa: E402 - the project's own Terragrunt reader

MODULE_CALL = re.compile(r'source\s*=\s*"\.\./([A-Za-z0-9_-]+)"')
PACKAGE_PATH = re.compile(r"dist/lambdas/([A-Za-z0-9_-]+)\.zip$")
PACKAGE_BUILD = "scripts/build-lambdas.sh"


def module_closure(module_dir: Path) -> set[str]:
    """modules/<name> of the unit's module and of every local module it calls, transitively."""
    seen: set[str] = set()
    todo = [module_dir.name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for tf in (ROOT / "modules" / name).glob("*.tf"):
            todo.extend(MODULE_CALL.findall(tf.read_text()))
    return seen


def packaged_lambdas(unit: terragrunt.Unit) -> set[str]:
    """lambdas/<name> of each built package (dist/lambdas/<name>.zip) the unit's inputs name."""
    found: set[str] = set()
    for value in unit.inputs.values():
        if isinstance(value, str):
            found.update(PACKAGE_PATH.findall(value))
    return found


def touched(unit: terragrunt.Unit, changed: list[str]) -> bool:
    rel = unit.rel
    modules = module_closure(unit.module_dir) if unit.module_dir else set()
    lambdas = packaged_lambdas(unit)
    configs = {"terragrunt.hcl"}
    parts = Path(rel).parts  # live, env, region, name
    env_dir, region_dir = "/".join(parts[:2]), "/".join(parts[:3])
    for path in changed:
        p = Path(path)
        if path.startswith(rel + "/"):
            return True
        if p.parts[:1] == ("modules",) and len(p.parts) > 2 and p.parts[1] in modules:
            return True
        if p.parts[:1] == ("lambdas",) and len(p.parts) > 2 and p.parts[1] in lambdas:
            return True
        if lambdas and path == PACKAGE_BUILD:
            return True
        if path in configs or (p.suffix == ".hcl" and str(p.parent) in (env_dir, region_dir)):
            return True
    return False


def changed_units(env: str, changed: list[str]) -> list[str]:
    reader = terragrunt.Reader(ROOT)
    units = [reader.load_unit(f) for f in terragrunt.find_units(ROOT)]
    units = [u for u in units if u.env == env]
    by_path = {str(u.path): u for u in units}
    hit = {u.rel for u in units if touched(u, changed)}
    grew = True
    while grew:  # dependents of touched units, transitively
        grew = False
        for u in units:
            if u.rel not in hit and any(d.rel in hit for d in terragrunt.edges(u, by_path)):
                hit.add(u.rel)
                grew = True
    return sorted(hit)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: git diff --name-only BASE...HEAD | changed_units.py ENV", file=sys.stderr)
        return 2
    changed = [line.strip() for line in sys.stdin if line.strip()]
    for unit in changed_units(argv[0], changed):
        print(unit)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
