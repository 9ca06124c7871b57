#!/usr/bin/env bash
# The ops Lambdas' deployment packages, reproducibly: dist/lambdas/<name>.zip and
# <name>.zip.sha256 (sha256sum format) for each lambdas/<name>/.
#   scripts/build-lambdas.sh [--out DIR] [NAME...]      (default: every lambdas/<name>/)
# A package holds the Python packages of lambdas/<name>/ (its folders with an __init__.py) and
# their data files, nothing else: requirements.txt lists what the Lambda runtime (boto3) and
# AWS's Powertools layer provide, so nothing is bundled from it, and bench.py and the like stay
# out. Entries are sorted, stamped 1980-01-01 00:00, mode 0644, deflated at level 9, so the same
# sources give the same bytes on any machine and checkout: the modules redeploy a function only
# when its code changed (source_code_hash), and a plan and a later apply agree.
# Terragrunt runs this before each plan or apply of the alarm-router and snapshot-pruner units.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/dist/lambdas
if [ "${1:-}" = "--out" ]; then
  out=${2:?--out needs a directory}
  shift 2
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for dir in "$root"/lambdas/*/; do
    names+=("$(basename "$dir")")
  done
fi
python=$(command -v python3 || true)
[ -n "$python" ] || { echo "error: python3 is needed to build the Lambda packages" >&2; exit 1; }
mkdir -p "$out"
for name in "${names[@]}"; do
  [ -d "$root/lambdas/$name" ] || { echo "error: no Lambda lambdas/$name" >&2; exit 1; }
  "$python" - "$root/lambdas/$name" "$out/$name.zip" <<'PY'
import hashlib
import os
import sys
import zipfile
from pathlib import Path

source, target = Path(sys.argv[1]), Path(sys.argv[2])
packages = sorted(p.parent for p in source.glob("*/__init__.py"))
if not packages:
    sys.exit(f"error: {source} holds no Python package (a folder with an __init__.py)")
files = []
for package in packages:
    for path in package.rglob("*"):
        rel = path.relative_to(source)
        if path.is_dir() or path.suffix in (".pyc", ".pyo") or "__pycache__" in rel.parts:
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        files.append((rel.as_posix(), path))
# Written beside the target and renamed: a reader never sees half a zip, and two builds of the
# same package (two Terragrunt units at once) leave one whole one.
partial = target.with_name(f".{target.name}.{os.getpid()}")
with zipfile.ZipFile(partial, "w") as archive:
    for name, path in sorted(files):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        info.create_system = 3
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, path.read_bytes(), compresslevel=9)
digest = hashlib.sha256(partial.read_bytes()).hexdigest()
os.replace(partial, target)
sums = target.with_name(target.name + ".sha256")
partial_sums = sums.with_name(f".{sums.name}.{os.getpid()}")
partial_sums.write_text(f"{digest}  {target.name}\n")
os.replace(partial_sums, sums)
print(f"{target} {digest} ({len(files)} files)")
PY
done
