#!/usr/bin/env bash
# Creates (once per machine, again when requirements.txt changes) the Python venv in which the
# Python tests install our wheel beside PyPI's cdktf, cdktf-cdktf-provider-aws and constructs:
# ${AGENT_IAM_CACHE:-~/.cache/cdktf-agent-iam}/python-venv. Separate from scripts/engine/venv.sh
# (the engines' venv), so each is keyed on its own requirements file. It also keeps the wheels of
# those requirements in <venv>/wheelhouse, from which the consumer test (scripts/consumer/test.sh)
# installs our wheel into a fresh venv offline, resolving only what the wheel itself declares.
# Prints the venv path on stdout; everything else goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${AGENT_IAM_CACHE:-$HOME/.cache/cdktf-agent-iam}"
venv="$cache/python-venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(cat "$req" "$here/venv.sh" | sha256sum | cut -d' ' -f1)"   # rebuilt when the requirements or this script change
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv"
  exit 0
fi
mkdir -p "$cache"
start=$(date +%s)
echo "creating $venv (cdktf, cdktf-cdktf-provider-aws, constructs, pytest) ..." >&2
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
"$venv/bin/pip" download --quiet --disable-pip-version-check -r "$req" -d "$venv/wheelhouse" >&2
echo "$want" > "$stamp"
echo "venv ready in $(( $(date +%s) - start )) s" >&2
echo "$venv"
