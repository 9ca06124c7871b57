"""hclfmt: formats Terragrunt .hcl files in place with Terraform's formatter.

`terraform fmt` refuses file names it does not know, so each file goes through a .tf copy; the
formatter is the one `terragrunt hclfmt` uses. Usage: tools/hclfmt [--check] [PATH...]
(default: terragrunt.hcl and live/ under the current directory).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def hcl_files(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.is_file() and p.suffix == ".hcl" and not p.name.endswith(".tftest.hcl"):
            out.append(p)
        elif p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*.hcl")
                if not f.name.endswith(".tftest.hcl")
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="tools/hclfmt", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--check", action="store_true", help="only list unformatted files (exit 3)")
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.paths] or [Path("terragrunt.hcl"), Path("live")]
    files = hcl_files([p for p in paths if p.exists()])
    if not files:
        return 0
    with tempfile.TemporaryDirectory(prefix="hclfmt-") as tmp:
        copies = {}
        for i, f in enumerate(files):
            copy = Path(tmp) / f"f{i:04d}.tf"
            shutil.copyfile(f, copy)
            copies[copy] = f
        cmd = [sys.executable, str(HERE / "tfcli.py"), "--raw", "fmt", "-list=true", "-no-color"]
        if args.check:
            cmd.append("-check")
        proc = subprocess.run([*cmd, *map(str, copies)], capture_output=True, text=True, check=False)
        changed = []
        for line in proc.stdout.split():
            copy = Path(line)
            if not copy.is_absolute():
                copy = (Path.cwd() / copy).resolve()
            src = copies.get(copy) or next((v for k, v in copies.items() if k.name == copy.name), None)
            if src is None:
                continue
            changed.append(src)
            if not args.check:
                shutil.copyfile(copy, src)
        for src in changed:
            print(src)
        if proc.returncode not in (0, 3):
            sys.stderr.write(proc.stderr.replace(tmp + "/", ""))
            return proc.returncode
        return 3 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
