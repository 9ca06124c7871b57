#!/usr/bin/env bash
# One environment of the deploy pipeline, with its apply role: this commit's release into the
# environment's artifacts bucket (kept there under its own version; an existing one, the same
# bytes since builds are reproducible, is left alone), `terragrunt run --all apply` of the code
# as committed (Terragrunt orders the units by their dependencies, the order tools/iaccheck
# prints), then the smoke test. The instances run the release live/<env>/env.hcl names
# (app.version, app.sha256): promoting a release is a pull request changing those two lines,
# with the figures this script prints (docs/delivery.md).
#   scripts/ci/apply.sh ENV VERSION URL      (dist/chat-VERSION.tar.gz made by `make package`)
set -euo pipefail
env_name=${1:?environment}
version=${2:?release version}
url=${3:?the public URL of the environment}
cd "$(dirname "$0")/../.."
tarball=dist/chat-$version.tar.gz
[ -f "$tarball" ] || { echo "error: $tarball not found: the package job's artifact is missing" >&2; exit 1; }
(cd dist && sha256sum --check --strict "chat-$version.tar.gz.sha256")
bucket=$(terragrunt output --non-interactive --working-dir "live/$env_name/${AWS_REGION:?}/artifacts" -raw bucket_name)
key=releases/chat-$version.tar.gz
if aws s3api head-object --bucket "$bucket" --key "$key" >/dev/null 2>&1; then
  echo "release $version is in s3://$bucket already"
else
  aws s3 cp "$tarball" "s3://$bucket/$key" --only-show-errors
fi
{
  echo "### Release \`$version\` in $env_name"
  echo "To run it here: in \`live/$env_name/env.hcl\`, \`app.version = \"$version\"\` and"
  echo "\`app.sha256 = \"$(cut -d' ' -f1 "$tarball.sha256")\"\`."
} >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
terragrunt run --all --non-interactive --working-dir "live/$env_name" -- apply -auto-approve -input=false -no-color
scripts/ci/smoke-test.sh "$url"
