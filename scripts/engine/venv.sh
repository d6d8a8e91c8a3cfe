#!/usr/bin/env bash
# Creates (once per machine, again when requirements.txt changes) the Python venv that holds
# checkov and moto, outside the repository: ${AGENT_IAM_CACHE:-~/.cache/cdktf-agent-iam}/venv.
# Prints the venv path on stdout; everything else goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${AGENT_IAM_CACHE:-$HOME/.cache/cdktf-agent-iam}"
venv="$cache/venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv"
  exit 0
fi
mkdir -p "$cache"
start=$(date +%s)
echo "creating $venv (checkov, moto, parliament, zizmor) ..." >&2
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" > "$stamp"
echo "venv ready in $(( $(date +%s) - start )) s" >&2
echo "$venv"
