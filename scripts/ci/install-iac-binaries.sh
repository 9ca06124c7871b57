#!/usr/bin/env bash
# Terraform and Terragrunt of the pinned versions into ~/.local/bin, each checked against the
# SHA256SUMS its publisher releases with it (a pipeline step: GitHub's runners reach both).
#   scripts/ci/install-iac-binaries.sh [TERRAFORM_VERSION TERRAGRUNT_VERSION]
# The pipeline's versions are the defaults here, in one place; the root terragrunt.hcl's
# constraints admit them.
set -euo pipefail
tf=${1:-1.14.0}
tg=${2:-0.93.13}
bin=$HOME/.local/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$bin"
cd "$work"
curl -fsSLO "https://releases.hashicorp.com/terraform/${tf}/terraform_${tf}_linux_amd64.zip"
curl -fsSLO "https://releases.hashicorp.com/terraform/${tf}/terraform_${tf}_SHA256SUMS"
grep " terraform_${tf}_linux_amd64.zip\$" "terraform_${tf}_SHA256SUMS" | sha256sum --check --strict
unzip -q "terraform_${tf}_linux_amd64.zip" terraform -d "$bin"
curl -fsSLO "https://github.com/gruntwork-io/terragrunt/releases/download/v${tg}/terragrunt_linux_amd64"
curl -fsSLO "https://github.com/gruntwork-io/terragrunt/releases/download/v${tg}/SHA256SUMS"
grep " terragrunt_linux_amd64\$" SHA256SUMS | sha256sum --check --strict
install -m 0755 terragrunt_linux_amd64 "$bin/terragrunt"
echo "$bin" >>"${GITHUB_PATH:-/dev/null}"
"$bin/terraform" version
"$bin/terragrunt" --version
