"""iaccheck: every offline infrastructure check of a repository-shaped tree, in one command.

  1. terraform fmt -check on .tf/.tfvars/.tftest.hcl; the same formatter on Terragrunt .hcl files
  2. terraform validate of every module under modules/ (in a scratch copy)
  3. terraform test of every module's tests/*.tftest.hcl, with run counts
  4. checkov on modules/ and on every rendered Terragrunt unit; inline skips need a reason
  5. cfn-lint on bootstrap/
  6. Terragrunt: read, resolve and check every unit, render it, validate and scan the render
  7. apply order per environment

Problems name file and line where known; the exit status is 1 when there is any.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import scan
from report import ItemResult, Problem, Reporter
from tfcli import mentioned_types
from toolchain import Toolchain, home_from_env

import modules as mod


class Run:
    def __init__(self, root: Path, tc: Toolchain, jobs: int, keep: bool):
        self.root = root.resolve()
        self.tc = tc
        self.jobs = jobs
        self.keep = keep
        runs = tc.home / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=runs))
        self.reporter = Reporter(self.root)
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

    def write_types(self, extra: list[Path] = ()) -> None:
        words: set[str] = set()
        for d in [self.scratch / "tree" / "modules", *extra]:
            if d.exists():
                words |= mentioned_types(d)
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

        tasks = []
        tasks.append(lambda: mod.fmt_check(self.tc, self.root, self.fmt_targets(), self.scratch))
        if modules:
            tasks.append(self.checkov_modules)
        for m in modules:
            tasks.append(lambda m=m: self.module_item(m))
        templates = scan.cfn_templates(self.root / "bootstrap")
        if templates:
            tasks.append(lambda: scan.run_cfn_lint(self.tc, self.root, templates, self.display))
        else:
            r.add(ItemResult("cfn-lint: bootstrap/", detail="no CloudFormation templates", skipped=True))

        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for fut in [pool.submit(self.guard, t) for t in tasks]:
                r.add(fut.result())
        return r.summary()

    def guard(self, task) -> ItemResult:
        started = time.monotonic()
        try:
            return task()
        except Exception as exc:  # noqa: BLE001 - one broken item must not hide the others
            return ItemResult(
                f"internal error in {getattr(task, '__name__', 'item')}",
                [Problem("iaccheck", f"{type(exc).__name__}: {exc}")],
                seconds=time.monotonic() - started,
            )

    def module_item(self, module: Path) -> ItemResult:
        scratch_module = self.scratch / "tree" / "modules" / module.name
        data_dir = self.scratch / "tfdata" / module.name
        return mod.validate_and_test(self.tc, self.root, module, scratch_module, data_dir, self.types_file)

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
    args = ap.parse_args(argv)
    root = Path(args.dir)
    if not root.is_dir():
        print(f"error: {root} is not a directory", file=sys.stderr)
        return 2
    run = Run(root, Toolchain(home_from_env()), max(1, args.jobs), args.keep_scratch)
    try:
        return run.execute()
    finally:
        run.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
