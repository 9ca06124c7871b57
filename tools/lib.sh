# Shared by tools/setup, tools/terraform, tools/iaccheck and tools/moddoc (sourced, not run).
# The toolchain lives outside the repository, in directories named after a hash of what decides
# their content: a change of a pin rebuilds only that virtualenv, a change of the schema code only
# the schemas, a change of the stand-in provider only the (cheap) mirror. Every clone of the same
# revision shares one warm copy.
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHAT_IAC_CACHE=${CHAT_IAC_CACHE:-$HOME/.cache/chat-iac}
iac_hash() { (cd "$TOOLS_DIR" && cat "$@" | sha256sum | cut -c1-12); }
IAC_TFENV="$CHAT_IAC_CACHE/tfenv-$(iac_hash requirements-terraform.txt)"
IAC_SCANENV="$CHAT_IAC_CACHE/scanenv-$(iac_hash requirements-scan.txt)"
IAC_SCHEMAS="$CHAT_IAC_CACHE/schemas-$(iac_hash providers.txt iac/schema.py)"
IAC_KEY=$(iac_hash requirements-terraform.txt requirements-scan.txt providers.txt setup \
  iac/schema.py iac/provider.py)
IAC_HOME="$CHAT_IAC_CACHE/toolchain-$IAC_KEY"

iac_ready() { [ -f "$IAC_HOME/.complete" ]; }

iac_require() { # builds the toolchain on first use, quietly unless it has to do work
  if ! iac_ready; then
    "$TOOLS_DIR/setup" >&2 || { echo "error: tools/setup failed" >&2; exit 3; }
  fi
  export CHAT_IAC_HOME="$IAC_HOME" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
  export TF_CLI_CONFIG_FILE="$IAC_HOME/terraformrc"
  export PYTHONDONTWRITEBYTECODE=1
}
