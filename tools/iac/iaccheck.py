"""iaccheck: every offline infrastructure check of a repository-shaped tree, in one command.

  1. terraform fmt -check on .tf/.tfvars/.tftest.hcl; the same formatter on Terragrunt .hcl files
  2. terraform validate of every module under modules/ (in a scratch copy)
  3. terraform test of every module's tests/*.tftest.hcl, with run counts
  4. checkov on modules/, on every rendered Terragrunt unit and on bootstrap/; skips need a reason
  5. cfn-lint on bootstrap/
  6. Terragrunt: read, resolve and check every unit, render it, validate and scan the render
  7. apply order per environment

Problems name file and line where known; the exit status is 1 when there is any.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import hcl
import moddoc
import scan
import terragrunt as tg
import units as un
from report import ItemResult, Problem, Reporter
from tfcli import mentioned_types
from toolchain import Toolchain, home_from_env

import modules as mod

# modules: validate + test + README tables; terragrunt: read and cross-check units;
# units: render every unit and validate the render (checkov scans renders when both run).
STEPS = ("fmt", "modules", "checkov", "cfn-lint", "terragrunt", "units")


def prune_dead_runs(runs: Path) -> None:
    """Scratch directories of runs that were killed (their pid is gone) are removed."""
    for d in runs.iterdir():
        pid = d.name.split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:
            continue


class Run:
    def __init__(self, root: Path, tc: Toolchain, jobs: int, keep: bool, steps=STEPS, verbose: bool = False):
        self.steps = set(steps)
        self.root = root.resolve()
        self.tc = tc
        self.jobs = jobs
        self.keep = keep
        runs = tc.home / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        prune_dead_runs(runs)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=runs))
        self.reporter = Reporter(self.root, verbose=verbose)
        self.types_file = self.scratch / "types.txt"

    def display(self, path: str | Path) -> str:
        """Maps a path inside the scratch copy back to the project tree."""
        p = Path(path)
        try:
            inner = p.resolve().relative_to(self.scratch.resolve())
        except ValueError:
            return self.reporter.rel(p)
        parts = inner.parts
        if parts and parts[0] == "tree":
            return str(Path(*parts[1:]))
        return str(inner)

    def write_types(self) -> None:
        words: set[str] = set()
        if (self.scratch / "tree").exists():
            words |= mentioned_types(self.scratch / "tree")
        self.types_file.write_text("\n".join(sorted(words)) + "\n")

    def fmt_targets(self) -> list[Path]:
        targets = [self.root / "modules", self.root / "live"]
        targets = [t for t in targets if t.is_dir()]
        for name in ("terragrunt.hcl", "root.hcl"):
            if (self.root / name).is_file():
                targets.append(self.root / name)
        return targets

    def execute(self) -> int:
        r = self.reporter
        modules = mod.discover(self.root / "modules")
        r.info(f"iaccheck {self.root}: {len(modules)} modules (toolchain {self.tc.home})")
        tree = self.scratch / "tree"
        tree.mkdir()
        if (self.root / "modules").is_dir():
            mod.copy_tree(self.root / "modules", tree / "modules")
        self.write_types()

        tasks: list = []
        if "checkov" in self.steps and modules:
            tasks.append(self.checkov_modules)
        if "checkov" in self.steps and scan.cfn_templates(self.root / "bootstrap"):
            tasks.append(self.checkov_bootstrap)
        units: list[tg.Unit] = []
        renders: list[un.Render] = []
        if "terragrunt" in self.steps or "units" in self.steps:
            units, renders = self.read_units(render="units" in self.steps)
            if renders and "checkov" in self.steps:
                tasks.append(lambda: self.checkov_units(renders))
        self.write_types()
        if "modules" in self.steps:
            tasks += [lambda m=m: self.module_item(m) for m in modules]
            if modules:
                tasks.append(lambda: self.moddoc_item(modules))
        if renders:
            tasks.append(lambda: self.validate_units(renders))
        if "fmt" in self.steps:
            tasks.append(lambda: mod.fmt_check(self.tc, self.root, self.fmt_targets(), self.scratch))
        if "cfn-lint" in self.steps:
            templates = scan.cfn_templates(self.root / "bootstrap")
            if templates:
                tasks.append(lambda: scan.run_cfn_lint(self.tc, self.root, templates, self.display))
            else:
                r.add(ItemResult("cfn-lint: bootstrap/", detail="no CloudFormation templates", skipped=True))

        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for fut in [pool.submit(self.guard, t) for t in tasks]:
                for res in fut.result():
                    r.add(res)
        if units and r.verbose:
            self.print_apply_order(units)
        return r.summary()

    def read_units(self, render: bool) -> tuple[list[tg.Unit], list[un.Render]]:
        """Step 6, the reading part: parse, resolve and cross-check every unit, then render."""
        r = self.reporter
        started = time.monotonic()
        reader = tg.Reader(self.root)
        self.reader = reader
        files = tg.hcl_files(self.root)
        parse = ItemResult("terragrunt: parse .hcl files")
        for f in files:
            try:
                reader.parse_file(f)
            except hcl.HclError as exc:
                parse.problems.append(Problem("terragrunt", exc.message, exc.file or r.rel(f), exc.line))
        unit_files = tg.find_units(self.root)
        units = [reader.load_unit(f) for f in unit_files]
        parse.detail = f"{len(files)} files, {len(units)} units"
        parse.seconds = time.monotonic() - started
        r.add(parse)
        problems = tg.check_units(reader, units)
        per_unit: dict[str, list[Problem]] = {u.rel: [] for u in units}
        for u, msg, file, line in problems:
            p = Problem("terragrunt", f"{u.rel}: {msg}" if u else msg, file, line)
            per_unit.setdefault(u.rel if u else "", []).append(p)
        to_render = []
        for i, u in enumerate(units):
            res = ItemResult(f"unit {u.rel}: resolve and check")
            res.problems = per_unit.get(u.rel, [])
            deps = ", ".join(sorted(u.dependencies)) or "no dependencies"
            module = r.rel(u.module_dir) if u.module_dir else "no module"
            res.detail = f"{module}, {len(u.inputs)} inputs, {deps}"
            r.add(res)
            if render and u.module_dir is not None and not u.errors and not u.skip:
                to_render.append((i, u))
        renders = []
        if to_render:
            dest = self.scratch / "tree" / "units"
            renders = un.render_all(reader, to_render, dest, self.scratch / "tree")
        return units, renders

    def order_index(self, units: list[tg.Unit]) -> dict[str, int]:
        index = {}
        for groups in tg.apply_order(units).values():
            for n, group in enumerate(groups, 1):
                for u in group:
                    index[u.rel] = n
        return index

    def validate_units(self, renders: list[un.Render]) -> list[ItemResult]:
        dest = self.scratch / "tree" / "units"
        data_dir = self.scratch / "tfdata-units"
        return un.validate_all(self.tc, self.reader, renders, dest, data_dir, self.types_file)

    def checkov_units(self, renders: list[un.Render]) -> ItemResult:
        target = self.scratch / "tree" / "units"
        by_name = {rd.name: rd.unit for rd in renders}
        skips: dict[str, dict[str, str]] = {}
        problems: list[Problem] = []
        for rd in renders:
            # An environment's deliberate choice is suppressed where it is made: in the unit's
            # terragrunt.hcl or its env.hcl, with a reason.
            files = [rd.unit.file]
            env_file = self.root / "live" / rd.unit.env / "env.hcl"
            if env_file.is_file():
                files.append(env_file)
            skips[rd.unit.rel], found = scan.unit_skip_comments(files, self.reporter.rel)
            problems += [p for p in found if p not in problems]
        res = scan.run_checkov(
            self.tc,
            self.root,
            target,
            "checkov: rendered Terragrunt units",
            self.display,
            self.root / ".checkov.yaml",
            units=by_name,
            unit_skips=skips,
        )
        res.problems.extend(problems)
        return res

    def print_apply_order(self, units: list[tg.Unit]) -> None:
        r = self.reporter
        by_path = {str(u.path): u for u in units}
        r.info("")
        r.info("apply order (what `terragrunt run-all apply` does, group by group):")
        for env, groups in tg.apply_order(units).items():
            r.info(f"  {env}:")
            for n, group in enumerate(groups, 1):
                for u in group:
                    after = ", ".join(v.rel for v in tg.edges(u, by_path)) or "-"
                    r.info(f"    {n}. {u.rel}  (after: {after})")

    def dump_units(self) -> int:
        data, problems = self.read_units_only()
        print(json.dumps(data, indent=2))
        return 1 if problems else 0

    def read_units_only(self):
        reader = tg.Reader(self.root)
        units = [reader.load_unit(f) for f in tg.find_units(self.root)]
        problems = tg.check_units(reader, units)
        index = self.order_index(units)
        out = []
        for u in units:
            s = tg.unit_summary(reader, u, index)
            s["problems"] = [{"message": m, "file": f, "line": ln} for uu, m, f, ln in problems if uu is u]
            out.append(s)
        order = {env: [[u.rel for u in g] for g in groups] for env, groups in tg.apply_order(units).items()}
        return {"root": str(self.root), "units": out, "apply_order": order}, problems

    def guard(self, task) -> list[ItemResult]:
        started = time.monotonic()
        try:
            out = task()
            return out if isinstance(out, list) else [out]
        except Exception as exc:  # noqa: BLE001 - one broken item must not hide the others
            return [
                ItemResult(
                    f"internal error in {getattr(task, '__name__', 'item')}",
                    [Problem("iaccheck", f"{type(exc).__name__}: {exc}")],
                    seconds=time.monotonic() - started,
                )
            ]

    def module_item(self, module: Path) -> ItemResult:
        scratch_module = self.scratch / "tree" / "modules" / module.name
        data_dir = self.scratch / "tfdata" / module.name
        return mod.validate_and_test(self.tc, self.root, module, scratch_module, data_dir, self.types_file)

    def moddoc_item(self, modules: list[Path]) -> ItemResult:
        started = time.monotonic()
        res = ItemResult("moddoc: README.md inputs/outputs tables")
        for m, why in moddoc.check(modules):
            rel = self.reporter.rel(m)
            res.problems.append(Problem("moddoc", f"{why}: run tools/moddoc {rel}", f"{rel}/README.md"))
        res.detail = f"{len(modules)} modules"
        res.seconds = time.monotonic() - started
        return res

    def checkov_modules(self) -> ItemResult:
        started = time.monotonic()
        target = self.scratch / "tree" / "modules"
        result = scan.run_checkov(
            self.tc,
            self.root,
            target,
            "checkov: modules/",
            self.display,
            self.root / ".checkov.yaml",
        )
        tf_files = sorted(f for f in (self.root / "modules").rglob("*.tf") if ".terraform" not in f.parts)
        result.problems.extend(scan.config_problems(self.root))
        result.problems.extend(scan.skip_reason_problems(tf_files, self.root, self.reporter.rel))
        result.seconds = time.monotonic() - started
        return result

    def checkov_bootstrap(self) -> ItemResult:
        """checkov's CloudFormation checks on bootstrap/: skips live in each resource's
        Metadata (checkov: skip: [{id, comment}]), each with its reason."""
        started = time.monotonic()
        templates = scan.cfn_templates(self.root / "bootstrap")
        result = scan.run_checkov(
            self.tc,
            self.root,
            self.root / "bootstrap",
            "checkov: bootstrap/",
            self.display,
            None,
            framework="cloudformation",
        )
        result.problems.extend(scan.cfn_skip_reason_problems(templates, self.reporter.rel))
        result.seconds = time.monotonic() - started
        return result

    def cleanup(self) -> None:
        if self.keep:
            print(f"(scratch kept: {self.scratch})", file=sys.stderr)
        else:
            shutil.rmtree(self.scratch, ignore_errors=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="tools/iaccheck", description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default=".", help="repository-shaped tree (default: .)")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("IACCHECK_JOBS", "2")))
    ap.add_argument("--keep-scratch", action="store_true", help="keep the scratch directory")
    ap.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="a line for every item, and the Terragrunt apply order (default: the summary and failures)",
    )
    ap.add_argument(
        "--only",
        default=",".join(STEPS),
        help=f"comma-separated steps to run (default: all of {','.join(STEPS)})",
    )
    ap.add_argument(
        "--dump-units",
        action="store_true",
        help="print every Terragrunt unit (path, env, region, module, inputs, dependencies, "
        "apply order) as JSON and exit",
    )
    args = ap.parse_args(argv)
    steps = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        print(f"error: unknown step(s) {unknown}; steps are {', '.join(STEPS)}", file=sys.stderr)
        return 2
    root = Path(args.dir)
    if not root.is_dir():
        print(f"error: {root} is not a directory", file=sys.stderr)
        return 2
    run = Run(root, Toolchain(home_from_env()), max(1, args.jobs), args.keep_scratch, steps, args.verbose)
    try:
        if args.dump_units:
            return run.dump_units()
        return run.execute()
    finally:
        run.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
