"""The zip the modules build: the handler they name imports from it, with its bundled data."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = {
    "alarm-router": ("lambdas/alarm_router", ["requirements.txt"]),
    "snapshot-pruner": ("lambdas/snapshot_pruner", ["requirements.txt", "bench.py"]),
}


def module_setting(module: str, key: str) -> str:
    main = (ROOT / "modules" / module / "main.tf").read_text()
    match = re.search(rf'^\s*{key}\s*=\s*"([^"]+)"', main, re.M)
    assert match, f"{key} not found in modules/{module}/main.tf"
    return match.group(1)


def build_zip(module: str, dest: Path) -> Path:
    """What archive_file puts in the zip: the source folder minus the module's excludes."""
    source, excluded = MODULES[module]
    main = (ROOT / "modules" / module / "main.tf").read_text()
    for name in excluded:
        assert f'"{name}"' in main, f"modules/{module} should exclude {name} from the zip"
    zipped = dest / f"{module}.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in sorted((ROOT / source).rglob("*")):
            rel = path.relative_to(ROOT / source)
            if path.is_dir() or rel.name in excluded or "__pycache__" in rel.parts or path.suffix == ".pyc":
                continue
            archive.write(path, rel.as_posix())
    return zipped


@pytest.mark.parametrize("module", sorted(MODULES))
def test_the_handler_the_module_names_imports_from_the_zip(module, tmp_path):
    zipped = build_zip(module, tmp_path)
    handler = module_setting(module, "handler")
    package, _, function = handler.rpartition(".")
    probe = (
        "import importlib\n"
        f"mod = importlib.import_module({package!r})\n"
        f"assert callable(getattr(mod, {function!r}))\n"
        f"assert mod.__file__.startswith({str(zipped)!r}), mod.__file__\n"
    )
    if module == "alarm-router":
        probe += "rt = mod.Runtime(mod.Settings.from_env({}))\nassert rt.bundled_rules().receivers\n"
    # Only the zip and the installed dependencies (as the layer provides them), not the source tree.
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(zipped), "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = zipfile.ZipFile(zipped).namelist()
    assert "requirements.txt" not in names
    if module == "alarm-router":
        assert "alarm_router/routes.json" in names


@pytest.mark.parametrize("source", ["lambdas/alarm_router", "lambdas/snapshot_pruner"])
def test_the_lambda_pins_the_powertools_release_the_tests_run(source):
    pinned = (ROOT / source / "requirements.txt").read_text()
    dev = (ROOT / "requirements-dev.txt").read_text()
    version = re.search(r"^aws-lambda-powertools==(\S+)$", pinned, re.M).group(1)
    assert f"aws-lambda-powertools=={version}" in dev
