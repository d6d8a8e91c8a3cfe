#!/usr/bin/env bash
# npm run scan: checkov on every synthesized stack in cdktf.out (terraform_json framework),
# with the reasoned skip list in .checkov.yaml. Fails on any failed check.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(bash "$root/scripts/engine/venv.sh")"
dir="${1:-$root/cdktf.out}"
if [ ! -d "$dir/stacks" ]; then
  echo "scan: $dir/stacks does not exist; run 'npm start' first" >&2
  exit 2
fi
exec "$venv/bin/checkov" --config-file "$root/.checkov.yaml" -d "$dir" --compact
