"""scripts/package.sh (`make package`): the release tarball the instances install.

Runs the real script against PyPI with a two-line requirements file (one binary wheel, one
package published only as an sdist), a stand-in web build and a stand-in RDS CA bundle (a
certificate authority made here), so it takes seconds, not the minute the full requirements
take."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "package.sh"
# markupsafe has binary wheels for many platforms (the script must pick Linux x86_64 / cp311);
# psycogreen is published only as an sdist (the script must build its pure wheel).
REQUIREMENTS = "MarkupSafe==3.0.4\npsycogreen==1.0.2\n"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "DIST_DIR": str(tmp_path / "dist"), **env}
    return subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def ca_certificate(name: str, ca: bool = True) -> bytes:
    """A self-signed certificate authority in PEM, standing in for AWS's RDS CA bundle (with
    ``ca=False``, a server certificate, which is no trust anchor)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("package-inputs")
    (base / "rds-ca-bundle.pem").write_bytes(
        ca_certificate("Test RDS Root CA") + ca_certificate("Test RDS Region CA")
    )
    (base / "requirements.txt").write_text(REQUIREMENTS)
    web = base / "web-dist"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>chat</title>")
    (web / "assets" / "main.js").write_text("console.log('chat')")
    (web / "assets" / "main.js.map").write_text('{"version": 3, "sources": ["src/secret-ish.js"]}')
    return {
        "REQUIREMENTS": str(base / "requirements.txt"),
        "WEB_DIST": str(web),
        "RDS_CA_BUNDLE": str(base / "rds-ca-bundle.pem"),
        "VERSION": "1.4.0-rc.1",
        "SOURCE_DATE_EPOCH": "1767225600",
    }


@pytest.fixture(scope="module")
def built(inputs: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package-out")
    result = _run(out, **inputs)
    assert result.returncode == 0, result.stderr
    return out / "dist" / "chat-1.4.0-rc.1.tar.gz"


def _members(tarball: Path) -> dict[str, bytes]:
    with tarfile.open(tarball) as tar:
        return {
            m.name: tar.extractfile(m).read() if m.isfile() else b""
            for m in tar.getmembers()
            if not m.isdir()
        }


def test_tarball_is_named_after_the_version_with_a_checksum_file(built: Path):
    assert built.is_file()
    checksum = Path(f"{built}.sha256").read_text().split()
    assert checksum == [hashlib.sha256(built.read_bytes()).hexdigest(), built.name]


def test_tarball_holds_app_web_client_wheels_and_install_script(built: Path):
    names = set(_members(built))
    prefix = "chat-1.4.0-rc.1/"
    for required in (
        "VERSION",
        "MANIFEST.json",
        "SHA256SUMS",
        "install.sh",
        "requirements.txt",
        "requirements.lock",
        "app/__init__.py",
        "app/__main__.py",
        "app/web/dist/index.html",
        "web/index.html",
        "web/assets/main.js",
        "certs/rds-ca-bundle.pem",
    ):
        assert prefix + required in names, required
    assert all(n.startswith(prefix) for n in names)
    # Only what the service runs: no npm tree, web sources or bytecode.
    assert not [n for n in names if "node_modules" in n or "/web/src/" in n or n.endswith(".pyc")]
    # nor the web client's source maps: the public site would serve them
    assert not [n for n in names if n.endswith(".map")]


def test_the_release_carries_the_rds_ca_bundle_under_its_sha256sums(built: Path, inputs: dict[str, str]):
    members = _members(built)
    bundle = Path(inputs["RDS_CA_BUNDLE"]).read_bytes()
    assert members["chat-1.4.0-rc.1/certs/rds-ca-bundle.pem"] == bundle
    sums = members["chat-1.4.0-rc.1/SHA256SUMS"].decode().splitlines()
    assert f"{hashlib.sha256(bundle).hexdigest()}  certs/rds-ca-bundle.pem" in sums


@pytest.mark.parametrize(
    "content",
    [b"<html><body>503 Service Unavailable</body></html>\n", None, b""],
    ids=["error-page", "server-certificate", "empty"],
)
def test_a_ca_bundle_that_is_not_ca_certificates_is_refused(inputs: dict[str, str], tmp_path: Path, content):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ca_certificate("db.example.internal", ca=False) if content is None else content)
    result = _run(tmp_path, **{**inputs, "RDS_CA_BUNDLE": str(bundle)})
    assert result.returncode == 1
    assert "the RDS CA bundle is not a PEM file of CA certificates" in result.stderr
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_a_missing_ca_bundle_file_is_named(inputs: dict[str, str], tmp_path: Path):
    result = _run(tmp_path, **{**inputs, "RDS_CA_BUNDLE": str(tmp_path / "nowhere.pem")})
    assert result.returncode == 1 and "nowhere.pem" in result.stderr and "not found" in result.stderr


def test_wheels_target_linux_x86_64_cpython_311_and_sdists_become_pure_wheels(built: Path):
    wheels = sorted(n.rsplit("/", 1)[1] for n in _members(built) if n.endswith(".whl"))
    assert len(wheels) == 2, wheels
    markupsafe, psycogreen = wheels
    assert markupsafe.startswith("markupsafe-3.0.4-cp311-cp311-")
    assert "manylinux" in markupsafe and markupsafe.endswith("x86_64.whl")
    assert psycogreen == "psycogreen-1.0.2-py3-none-any.whl"
    members = _members(built)
    lock = [line.split() for line in members["chat-1.4.0-rc.1/requirements.lock"].decode().splitlines()]
    assert [pin for pin, _ in lock] == ["markupsafe==3.0.4", "psycogreen==1.0.2"]
    # each pin carries the sha256 of the very wheel in the package
    for (_, digest), wheel in zip(lock, wheels, strict=True):
        data = members[f"chat-1.4.0-rc.1/wheels/{wheel}"]
        assert digest == "--hash=sha256:" + hashlib.sha256(data).hexdigest()


def boot_install(release: Path) -> subprocess.CompletedProcess:
    """The instances' boot (modules/app-asg user data), from the extracted release to the
    installed virtualenv and RDS CA bundle (beside the release instead of in /opt/chat), with
    this machine's Python as the instances' python3.11."""
    template = (ROOT / "modules/app-asg/templates/user-data.sh.tftpl").read_text()
    install = r"^requirements=\$\(find.*?^\S*pip\" install [^\n]*--require-hashes[^\n]*$"
    block = re.search(install, template, re.M | re.S)
    assert block, "the boot must install the release's wheels with --require-hashes"
    script = block.group(0).replace("python3.11 -m venv", f"{sys.executable} -m venv")
    script = script.replace(
        "/opt/chat/rds-ca-bundle.pem", str(release.parent / "installed-rds-ca-bundle.pem")
    )
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail\nrelease={release.parent}\n{script}"],
        env={**os.environ, "PIP_NO_INDEX": "1"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_boot_installs_only_checked_files(built: Path, tmp_path: Path):
    with tarfile.open(built) as tar:
        tar.extractall(tmp_path, filter="data")
    release = tmp_path / "chat-1.4.0-rc.1"
    result = boot_install(release)
    assert result.returncode == 0, result.stderr
    imports = [str(release / ".venv/bin/python"), "-c", "import markupsafe, psycogreen"]
    check = subprocess.run(imports, check=False)
    assert check.returncode == 0
    # the RDS CA bundle the service verifies PostgreSQL with is the one the release carries
    bundle = (release / "certs/rds-ca-bundle.pem").read_bytes()
    assert (tmp_path / "installed-rds-ca-bundle.pem").read_bytes() == bundle
    # a wheel swapped after the build: SHA256SUMS refuses it before pip runs
    wheel = next((release / "wheels").glob("psycogreen-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    refused = boot_install(release)
    assert refused.returncode != 0 and "do not match its SHA256SUMS" in refused.stderr


def test_manifest_lists_every_file_with_its_sha256(built: Path):
    members = _members(built)
    prefix = "chat-1.4.0-rc.1/"
    manifest = json.loads(members[prefix + "MANIFEST.json"])
    assert manifest["version"] == "1.4.0-rc.1"
    assert manifest["target"] == {"python": "3.11", "platform": "manylinux_2_34_x86_64"}
    files = {n[len(prefix) :]: data for n, data in members.items()}
    listed = set(manifest["files"])
    assert listed == set(files) - {"MANIFEST.json", "SHA256SUMS"}
    for path, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest(), path
        assert entry["size"] == len(files[path])


def test_install_script_installs_offline_and_the_app_imports(built: Path, tmp_path: Path):
    with tarfile.open(built) as tar:
        tar.extractall(tmp_path, filter="data")
    release = tmp_path / "chat-1.4.0-rc.1"
    dest = tmp_path / "installed"
    env = {**os.environ, "PYTHON": sys.executable, "PIP_NO_INDEX": "1"}
    result = subprocess.run(
        ["bash", str(release / "install.sh"), str(dest)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (dest / "VERSION").read_text().strip() == "1.4.0-rc.1"
    check = subprocess.run(
        [str(dest / "venv" / "bin" / "python"), "-c", "import markupsafe, psycogreen"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert (dest / "app" / "__init__.py").is_file()


def test_install_script_refuses_a_tampered_release(built: Path, tmp_path: Path):
    with tarfile.open(built) as tar:
        tar.extractall(tmp_path, filter="data")
    release = tmp_path / "chat-1.4.0-rc.1"
    (release / "app" / "__init__.py").write_text("raise SystemExit('tampered')\n")
    result = subprocess.run(
        ["bash", str(release / "install.sh"), str(tmp_path / "installed")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "do not match SHA256SUMS" in result.stderr
    assert not (tmp_path / "installed" / "venv").exists()


def test_same_inputs_give_the_same_bytes(built: Path, inputs: dict[str, str], tmp_path: Path):
    again = _run(tmp_path, **inputs)
    assert again.returncode == 0, again.stderr
    rebuilt = tmp_path / "dist" / built.name
    assert hashlib.sha256(rebuilt.read_bytes()).digest() == hashlib.sha256(built.read_bytes()).digest()


@pytest.mark.parametrize("version", ["-leading-dash", "has space", "a/b", "x" * 65])
def test_a_malformed_version_is_refused(inputs: dict[str, str], tmp_path: Path, version: str):
    result = _run(tmp_path, **{**inputs, "VERSION": version})
    assert result.returncode == 1
    assert "VERSION" in result.stderr and "must be 1-64 characters" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_missing_web_build_names_make_web(inputs: dict[str, str], tmp_path: Path):
    result = _run(tmp_path, **{**inputs, "WEB_DIST": str(tmp_path / "nothing")})
    assert result.returncode == 1
    assert "the web client is not built" in result.stderr and "make web" in result.stderr


def test_a_missing_requirements_file_is_named(inputs: dict[str, str], tmp_path: Path):
    missing = tmp_path / "nope.txt"
    result = _run(tmp_path, **{**inputs, "REQUIREMENTS": str(missing)})
    assert result.returncode == 1
    assert f"requirements file '{missing}' not found" in result.stderr


def test_version_defaults_to_git_describe(inputs: dict[str, str], tmp_path: Path):
    env = {k: v for k, v in inputs.items() if k != "VERSION"}
    result = _run(tmp_path, **env, VERSION="")
    assert result.returncode == 0, result.stderr
    (tarball,) = (tmp_path / "dist").glob("chat-*.tar.gz")
    version = tarball.name.removeprefix("chat-").removesuffix(".tar.gz")
    # Other commits may land while this runs: check the shape, and that git knows the commit.
    assert re.fullmatch(r"(.+-[0-9]+-g)?([0-9a-f]{7,40})(-dirty)?", version), version
    commit = re.fullmatch(r"(?:.+-[0-9]+-g)?([0-9a-f]{7,40})(?:-dirty)?", version)[1]
    known = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, check=False)
    assert known.returncode == 0


def test_tarball_timestamps_and_owners_are_normalised(built: Path):
    with tarfile.open(built) as tar:
        members = tar.getmembers()
    assert {m.mtime for m in members} == {1767225600}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "root", "root")}
    gz_header = io.BytesIO(built.read_bytes()).read(10)
    assert gz_header[4:8] == b"\0\0\0\0"  # gzip's own mtime field
