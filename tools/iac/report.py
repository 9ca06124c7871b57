"""Problems and the progress/summary output of iaccheck."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    check: str  # fmt, validate, test, checkov, skip-reason, cfn-lint, terragrunt, moddoc, ...
    message: str
    file: str = ""
    line: int | None = None

    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        where = self.where()
        return f"[{self.check}] {where}: {self.message}" if where else f"[{self.check}] {self.message}"


@dataclass
class ItemResult:
    name: str
    problems: list[Problem] = field(default_factory=list)
    detail: str = ""
    seconds: float = 0.0
    skipped: bool = False


class Reporter:
    """Prints the final summary, and a line per finished item (thread-safe): every item's
    with ``verbose``, else only the failed ones' (with their problems)."""

    def __init__(self, root: Path, stream=None, verbose: bool = False):
        self.root = root
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.results: list[ItemResult] = []
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def rel(self, path: str | Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def info(self, line: str) -> None:
        with self.lock:
            print(line, file=self.stream, flush=True)

    def add(self, result: ItemResult) -> None:
        with self.lock:
            self.results.append(result)
            if result.skipped:
                status = "skip"
            else:
                status = "FAIL" if result.problems else "ok"
            if not self.verbose and not result.problems:
                return
            detail = f" - {result.detail}" if result.detail else ""
            print(
                f"[{status:>4}] {result.name}{detail} ({result.seconds:.1f}s)",
                file=self.stream,
                flush=True,
            )
            for p in result.problems:
                print(f"       {p}", file=self.stream, flush=True)

    def problems(self) -> list[Problem]:
        seen: list[Problem] = []
        for r in self.results:
            for p in r.problems:
                if p not in seen:
                    seen.append(p)
        return seen

    def summary(self) -> int:
        problems = self.problems()
        failed = sum(1 for r in self.results if r.problems)
        elapsed = time.monotonic() - self.started
        print("", file=self.stream)
        if problems:
            print(
                f"iaccheck: {len(problems)} problem(s) in {failed} of {len(self.results)} "
                f"items ({elapsed:.0f}s):",
                file=self.stream,
            )
            for p in problems:
                print(f"  {p}", file=self.stream)
            self.stream.flush()
            return 1
        skipped = sum(1 for r in self.results if r.skipped)
        more = f", {skipped} skipped" if skipped else ""
        hint = "" if self.verbose else "; -v lists each item"
        print(
            f"iaccheck: all {len(self.results) - skipped} items passed{more} ({elapsed:.0f}s{hint})",
            file=self.stream,
        )
        self.stream.flush()
        return 0
