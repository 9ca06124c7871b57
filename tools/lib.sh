# Shared by tools/setup, tools/terraform, tools/iaccheck and tools/moddoc (sourced, not run).
# The toolchain lives outside the repository, in a directory named after a hash of everything
# that decides its content, so a change of any pin or of the schema code builds a new one and
# every clone of the same revision shares one warm copy.
TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHAT_IAC_CACHE=${CHAT_IAC_CACHE:-$HOME/.cache/chat-iac}
IAC_KEY=$(cd "$TOOLS_DIR" && cat requirements-terraform.txt requirements-scan.txt providers.txt setup \
  iac/schema.py iac/provider.py | sha256sum | cut -c1-16)
IAC_HOME="$CHAT_IAC_CACHE/$IAC_KEY"
IAC_TFENV="$IAC_HOME/tfenv"
IAC_SCANENV="$IAC_HOME/scanenv"

iac_ready() { [ -f "$IAC_HOME/.complete" ]; }

iac_require() { # builds the toolchain on first use, quietly unless it has to do work
  if ! iac_ready; then
    "$TOOLS_DIR/setup" >&2 || { echo "error: tools/setup failed" >&2; exit 3; }
  fi
  export CHAT_IAC_HOME="$IAC_HOME" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
  export TF_CLI_CONFIG_FILE="$IAC_HOME/terraformrc"
  export PYTHONDONTWRITEBYTECODE=1
}
