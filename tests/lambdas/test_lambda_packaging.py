"""The packages scripts/build-lambdas.sh builds: the handler the module names imports from the zip
alone, with its bundled data; the same sources give the same bytes; the digest file tells the
truth; and the units deploy exactly these packages."""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "scripts" / "build-lambdas.sh"
# lambdas/<name> -> the module that deploys it
PACKAGES = {"alarm_router": "alarm-router", "snapshot_pruner": "snapshot-pruner"}


def build(out: Path, *names: str, root: Path = ROOT) -> None:
    result = subprocess.run(
        [str(root / "scripts" / "build-lambdas.sh"), "--out", str(out), *names],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def module_handler(module: str) -> str:
    main = (ROOT / "modules" / module / "main.tf").read_text()
    match = re.search(r'^\s*handler\s*=\s*"([^"]+)"', main, re.M)
    assert match, f"handler not found in modules/{module}/main.tf"
    return match.group(1)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build(out)
    return out


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_the_handler_the_module_names_imports_from_the_package_alone(name, built, tmp_path):
    zipped = built / f"{name}.zip"
    package, _, function = module_handler(PACKAGES[name]).rpartition(".")
    probe = (
        "import importlib\n"
        f"mod = importlib.import_module({package!r})\n"
        f"assert callable(getattr(mod, {function!r}))\n"
        f"assert mod.__file__.startswith({str(zipped)!r}), mod.__file__\n"
    )
    if name == "alarm_router":
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


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_the_package_holds_the_python_package_and_its_data_only(name, built):
    names = zipfile.ZipFile(built / f"{name}.zip").namelist()
    expected = sorted(
        p.relative_to(ROOT / "lambdas" / name).as_posix()
        for p in (ROOT / "lambdas" / name / name).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    assert names == expected
    assert "requirements.txt" not in names and "bench.py" not in names
    if name == "alarm_router":
        assert "alarm_router/routes.json" in names


def test_the_digest_file_is_the_packages_sha256_in_sha256sum_format(built):
    for name in PACKAGES:
        zipped = built / f"{name}.zip"
        line = (built / f"{name}.zip.sha256").read_text()
        assert line == f"{hashlib.sha256(zipped.read_bytes()).hexdigest()}  {name}.zip\n"
        sums = f"{name}.zip.sha256"
        check = subprocess.run(
            ["sha256sum", "--check", "--strict", sums], cwd=built, capture_output=True, check=False
        )
        assert check.returncode == 0, check.stdout


def test_the_same_sources_give_the_same_bytes_whatever_their_times_modes_and_caches(built, tmp_path):
    # A copy of the tree as another checkout would have it: other mtimes, another umask, stray caches.
    copy = tmp_path / "checkout"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy2(BUILD, copy / "scripts" / BUILD.name)
    shutil.copytree(ROOT / "lambdas", copy / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
    for path in (copy / "lambdas").rglob("*"):
        if path.is_file():
            os.utime(path, (2_000_000_000, 2_000_000_000))
            path.chmod(0o600)
    cache = copy / "lambdas" / "alarm_router" / "alarm_router" / "__pycache__"
    cache.mkdir()
    (cache / "handler.cpython-311.pyc").write_bytes(b"stale")
    out = tmp_path / "again"
    build(out, root=copy)
    for name in PACKAGES:
        assert (out / f"{name}.zip").read_bytes() == (built / f"{name}.zip").read_bytes(), name
    info = zipfile.ZipFile(out / "alarm_router.zip").infolist()[0]
    assert info.date_time == (1980, 1, 1, 0, 0, 0) and (info.external_attr >> 16) & 0o777 == 0o644


def test_a_changed_source_changes_the_package(built, tmp_path):
    copy = tmp_path / "checkout"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy2(BUILD, copy / "scripts" / BUILD.name)
    shutil.copytree(ROOT / "lambdas" / "snapshot_pruner", copy / "lambdas" / "snapshot_pruner")
    policy = copy / "lambdas" / "snapshot_pruner" / "snapshot_pruner" / "policy.py"
    policy.write_text(policy.read_text() + "\n# changed\n")
    build(tmp_path / "out", "snapshot_pruner", root=copy)
    again = (tmp_path / "out" / "snapshot_pruner.zip").read_bytes()
    assert again != (built / "snapshot_pruner.zip").read_bytes()


def test_an_unknown_lambda_is_an_error(tmp_path):
    result = subprocess.run(
        [str(BUILD), "--out", str(tmp_path), "no_such_lambda"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "lambdas/no_such_lambda" in result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("name", "module"), sorted(PACKAGES.items()))
def test_the_unit_deploys_the_built_package_and_builds_it_first(name, module):
    unit = (ROOT / "live" / "_envcommon" / f"{module}.hcl").read_text()
    assert f'package_file = "${{local.repo_root}}/dist/lambdas/{name}.zip"' in " ".join(unit.split())
    hook = re.search(r'before_hook "build_lambda_package" \{(.*?)\n  \}', unit, re.S)
    assert hook, f"live/_envcommon/{module}.hcl builds no package before Terraform runs"
    assert f'"${{local.repo_root}}/scripts/build-lambdas.sh", "{name}"' in hook.group(1)
    assert "get_terraform_commands_that_need_vars()" in hook.group(1)


@pytest.mark.parametrize("module", ["alarm-router", "snapshot-pruner", "lambda-function"])
def test_no_module_packages_source_from_the_repository(module):
    for tf in (ROOT / "modules" / module).glob("*.tf"):
        text = tf.read_text()
        assert "archive_file" not in text and "../../lambdas" not in text, tf


@pytest.mark.parametrize("source", ["lambdas/alarm_router", "lambdas/snapshot_pruner"])
def test_the_lambda_pins_the_powertools_release_the_tests_run(source):
    pinned = (ROOT / source / "requirements.txt").read_text()
    dev = (ROOT / "requirements-dev.txt").read_text()
    version = re.search(r"^aws-lambda-powertools==(\S+)$", pinned, re.M).group(1)
    assert f"aws-lambda-powertools=={version}" in dev
