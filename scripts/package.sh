#!/usr/bin/env bash
# Build the release artifact the instances install: dist/chat-<version>.tar.gz (`make package`).
#
# It holds, under chat-<version>/: the `app` package, the built web client (app/web/dist, also as
# web/ for the site bucket), requirements.txt, requirements.lock and a wheel of every dependency
# for the instances' platform (Linux x86_64, CPython 3.11, glibc 2.34: Amazon Linux 2023), so they
# install with `pip install --no-index` and never reach PyPI at boot; certs/rds-ca-bundle.pem, the
# RDS certificate authorities the service verifies PostgreSQL's certificate with, so the boot never
# reaches the internet for them either; install.sh; MANIFEST.json with the sha256 of every file.
# The tarball is reproducible: same commit and same CA bundle, same bytes.
# Every wheel comes from requirements.lock (each file checked against the lock's sha256); the
# package's own requirements.lock names each wheel it holds with that wheel's sha256, and the
# instances install from it with --require-hashes after checking SHA256SUMS.
# docs/delivery.md says how a release reaches an environment.
#
# Settings (environment):
#   VERSION       release name (default: `git describe --always --dirty --tags`)
#   REQUIREMENTS  locked requirements (default: requirements.lock, written by `make lock`)
#   WEB_DIST      built web client (default: app/web/dist, made by `make web`)
#   DIST_DIR      output directory (default: dist)
#   PYTHON        Python that runs pip (default: .venv/bin/python, else python3)
#   RDS_CA_BUNDLE the RDS CA bundle to ship, a PEM file (default: downloaded over HTTPS from
#                 $RDS_CA_BUNDLE_URL, AWS's global bundle, as the pipeline's package job does)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fail() { echo "error: $*" >&2; exit 1; }

REQUIREMENTS=${REQUIREMENTS:-requirements.lock}
WEB_DIST=${WEB_DIST:-app/web/dist}
DIST_DIR=${DIST_DIR:-dist}
RDS_CA_BUNDLE_URL=${RDS_CA_BUNDLE_URL:-https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem}
if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON not found: run 'make setup' first"

# The instances' platform. AL2023 ships glibc 2.34: a wheel built for a newer glibc would fail to
# import there even though pip on this machine would happily pick it.
TARGET_PY=3.11
TARGET_ABI=cp311
TARGET_PLATFORM=manylinux_2_34_x86_64

if [ -z "${VERSION:-}" ]; then
  VERSION=$(git describe --always --dirty --tags 2>/dev/null) \
    || fail "no VERSION given and this is not a git checkout: run VERSION=1.2.3 make package"
fi
# The same rule as the app-asg module's app_version: the version names the tarball and an S3 key.
[[ $VERSION =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$ ]] \
  || fail "VERSION '$VERSION' must be 1-64 characters of letters, digits, '.', '+', '_' and '-'"
case $VERSION in
  *-dirty) echo "warning: the work tree has uncommitted changes; '$VERSION' is not a reproducible release" >&2 ;;
esac

[ -f "$REQUIREMENTS" ] || fail "requirements file '$REQUIREMENTS' not found"
[ -f "$WEB_DIST/index.html" ] || fail "the web client is not built ($WEB_DIST/index.html missing): run 'make web'"
[ -f app/__init__.py ] || fail "app/ package not found"
if [ -n "${RDS_CA_BUNDLE:-}" ]; then
  [ -f "$RDS_CA_BUNDLE" ] || fail "RDS_CA_BUNDLE '$RDS_CA_BUNDLE' not found"
fi

name="chat-$VERSION"
work=$(mktemp -d "${TMPDIR:-/tmp}/chat-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage/wheels" "$stage/certs" "$work/pure"

# The instances verify PostgreSQL's certificate (sslmode=verify-full) against this bundle. It
# travels in the release, so the app_sha256 pinned in Terraform covers it through SHA256SUMS and
# the boot needs no internet for it (docs/network.md).
ca_bundle="$stage/certs/rds-ca-bundle.pem"
if [ -n "${RDS_CA_BUNDLE:-}" ]; then
  echo "==> the RDS CA bundle from $RDS_CA_BUNDLE"
  cp "$RDS_CA_BUNDLE" "$ca_bundle"
else
  echo "==> the RDS CA bundle from $RDS_CA_BUNDLE_URL"
  curl -fsS --proto '=https' --tlsv1.2 --retry 3 -o "$ca_bundle" "$RDS_CA_BUNDLE_URL" \
    || fail "could not download the RDS CA bundle from $RDS_CA_BUNDLE_URL (or give a file as RDS_CA_BUNDLE)"
fi
# Certificates that OpenSSL loads as trust anchors, and nothing else: an HTML error page or a
# truncated download must not become the release's trust store.
"$PYTHON" - "$ca_bundle" <<'EOF' || fail "the RDS CA bundle is not a PEM file of CA certificates"
import re
import ssl
import sys

text = open(sys.argv[1], encoding="ascii").read()
pem = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----")
blocks = pem.findall(text)
if not blocks or pem.sub("", text).strip():
    sys.exit("rds-ca-bundle.pem must hold PEM certificates only")
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.load_verify_locations(cafile=sys.argv[1])
if len(context.get_ca_certs()) != len(set(blocks)):
    sys.exit("rds-ca-bundle.pem holds certificates that are not certificate authorities")
print(f"    {len(blocks)} CA certificates")
EOF

echo "==> $name: collecting wheels for Linux x86_64 / CPython $TARGET_PY from $REQUIREMENTS"
pip=("$PYTHON" -m pip --disable-pip-version-check --no-input -q)
# pip takes a manylinux_2_X tag literally: list every glibc up to the target's, newest first.
platforms=()
for minor in $(seq 34 -1 17); do platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
platforms+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
target=(--only-binary=:all: "${platforms[@]}" --python-version "$TARGET_PY"
  --implementation cp --abi "$TARGET_ABI" --abi abi3 --abi none)

# A requirement published only as an sdist cannot be fetched for another platform; if it is pure
# Python its wheel is the same everywhere, so build it here. Anything else must fail loudly.
# entry NAME: the requirement's lines in the lock (its pin, then its --hash lines)
entry() { awk -v n="$1" 'tolower($0) ~ "^"tolower(n)"==" {p=1; print; next} p && /^[ \t]/ {print; next} {p=0}' "$REQUIREMENTS"; }
built=()
while IFS= read -r line; do
  req=${line%%#*}
  req=${req//\\/}
  req=$(echo "$req" | xargs)
  case $req in '' | -*) continue ;; esac
  if ! "${pip[@]}" download --no-deps "${target[@]}" -d "$work/probe" "$req" >/dev/null 2>&1; then
    echo "    $req: no wheel published for the target, building it from source"
    entry "${req%%[=;<> ]*}" >"$work/one.txt"
    "${pip[@]}" wheel --no-deps -w "$work/pure" -r "$work/one.txt" || fail "could not build a wheel for $req"
    built+=("${req%%[=;<> ]*}")
  fi
done <"$REQUIREMENTS"
for whl in "$work/pure"/*.whl; do
  [ -e "$whl" ] || continue
  case $whl in
    *-none-any.whl) ;;
    *) fail "$(basename "$whl") is not pure Python and has no wheel for $TARGET_PLATFORM" ;;
  esac
done

# the requirements built here come from $work/pure; pip checks every other file's sha256
cp "$REQUIREMENTS" "$work/download.txt"
for dropped in "${built[@]}"; do
  awk -v n="$dropped" 'tolower($0) ~ "^"tolower(n)"==" {p=1; next} p && /^[ \t]/ {next} {p=0; print}' \
    "$work/download.txt" >"$work/download.next" && mv "$work/download.next" "$work/download.txt"
done
"${pip[@]}" download "${target[@]}" -d "$stage/wheels" -r "$work/download.txt" \
  || fail "pip could not collect the wheels for $REQUIREMENTS (is PyPI reachable? see pip's message above)"
for whl in "$work/pure"/*.whl; do [ -e "$whl" ] && cp "$whl" "$stage/wheels/"; done

cp "$REQUIREMENTS" "$stage/requirements.txt"
echo "==> staging the app package and the web client"
# Only what the service runs: no node_modules, sources of the web client or bytecode.
tar -C "$root" --exclude='__pycache__' --exclude='*.pyc' --exclude='app/web' -cf - app | tar -C "$stage" -xf -
mkdir -p "$stage/app/web/dist" "$stage/web"
# source maps stay out of the release: the site would serve them to anyone, cached for a year
tar -C "$WEB_DIST" --exclude='*.map' -cf - . | tar -C "$stage/app/web/dist" -xf -
tar -C "$WEB_DIST" --exclude='*.map' -cf - . | tar -C "$stage/web" -xf -

cat >"$stage/install.sh" <<'EOF'
#!/usr/bin/env bash
# Install this release into a virtualenv without reaching any package index:
#   ./install.sh /opt/chat/releases/<version>     (python3.11 on PATH, or PYTHON=...)
# The service then runs as: <dir>/venv/bin/python -m app serve, with <dir>/app as working dir.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: install.sh DEST_DIR}
python=${PYTHON:-python3.11}
(cd "$here" && sha256sum --quiet -c SHA256SUMS) || { echo "error: release files do not match SHA256SUMS" >&2; exit 1; }
mkdir -p "$dest"
"$python" -m venv "$dest/venv"
"$dest/venv/bin/pip" install --disable-pip-version-check -q --no-index --require-hashes \
  --find-links "$here/wheels" -r "$here/requirements.lock"
rm -rf "$dest/app" && cp -R "$here/app" "$dest/app"
cp "$here/MANIFEST.json" "$here/VERSION" "$dest/"
echo "installed $(cat "$here/VERSION") into $dest"
EOF
chmod 0755 "$stage/install.sh"
printf '%s\n' "$VERSION" >"$stage/VERSION"

echo "==> writing the lock, the manifest and the tarball"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# Reproducible: every timestamp is the commit's (or SOURCE_DATE_EPOCH when given).
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
mkdir -p "$DIST_DIR"
"$PYTHON" - "$stage" "$name" "$VERSION" "$commit" "$epoch" "$DIST_DIR" "$TARGET_PLATFORM" <<'EOF'
import gzip
import hashlib
import io
import json
import re
import sys
import tarfile
from pathlib import Path

stage, name, version, commit, epoch, dist_dir, platform = sys.argv[1:]
stage, epoch = Path(stage), int(epoch)
glibc_max = tuple(int(p) for p in re.match(r"manylinux_(\d+)_(\d+)_", platform).groups())
LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def platform_ok(tag: str) -> bool:
    if tag == "any":
        return True
    m = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", tag)
    if m:
        return (int(m[1]), int(m[2])) <= glibc_max
    m = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014)_x86_64", tag)
    return bool(m) and LEGACY[m[1]] <= glibc_max


def python_ok(python: str, abi: str) -> bool:
    if python.startswith("py3") or (python == "cp311" and abi in ("cp311", "abi3", "none")):
        return True
    m = re.fullmatch(r"cp3(\d+)", python)
    # An abi3 wheel built for an older CPython 3 runs on every later one.
    return bool(m) and abi == "abi3" and int(m[1]) <= 11


lock, hashed = [], []
for wheel in sorted((stage / "wheels").glob("*.whl")):
    parts = wheel.name[: -len(".whl")].split("-")
    dist, ver, pys, abis, plats = parts[0], parts[1], parts[-3], parts[-2], parts[-1]
    if not any(platform_ok(p) for p in plats.split(".")):
        sys.exit(f"error: {wheel.name} does not run on {platform}")
    if not any(python_ok(p, a) for p in pys.split(".") for a in abis.split(".")):
        sys.exit(f"error: {wheel.name} is not for CPython 3.11")
    lock.append(f"{dist.replace('_', '-').lower()}=={ver}")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    hashed.append(f"{dist.replace('_', '-').lower()}=={ver} --hash=sha256:{digest}")
(stage / "requirements.lock").write_text("\n".join(hashed) + "\n")

files = sorted(p for p in stage.rglob("*") if p.is_file())
digests = {p.relative_to(stage).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
manifest = {
    "name": "chat",
    "version": version,
    "commit": commit,
    "built_at_epoch": epoch,
    "target": {"python": "3.11", "platform": platform},
    "wheels": lock,
    "files": {path: {"sha256": digest, "size": (stage / path).stat().st_size} for path, digest in digests.items()},
}
(stage / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
digests["MANIFEST.json"] = hashlib.sha256((stage / "MANIFEST.json").read_bytes()).hexdigest()
(stage / "SHA256SUMS").write_text("".join(f"{d}  {p}\n" for p, d in sorted(digests.items())))


def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "root", "root"
    executable = info.isdir() or info.mode & 0o100
    info.mode = 0o755 if executable else 0o644
    return info


out = Path(dist_dir) / f"{name}.tar.gz"
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    tar.add(stage, arcname=name, recursive=False, filter=normalise)
    for path in sorted(stage.rglob("*")):
        tar.add(path, arcname=f"{name}/{path.relative_to(stage).as_posix()}", recursive=False, filter=normalise)
with out.open("wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
    gz.write(raw.getvalue())
digest = hashlib.sha256(out.read_bytes()).hexdigest()
Path(f"{out}.sha256").write_text(f"{digest}  {out.name}\n")
print(f"{out}  {out.stat().st_size} bytes  {len(lock)} wheels  sha256 {digest}")
EOF
