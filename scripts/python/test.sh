#!/usr/bin/env bash
# The Python package tests: installs the wheel that `npm run package:python` built (dist-python/) into
# the venv of scripts/python/venv.sh (PyPI's cdktf, cdktf-cdktf-provider-aws, constructs, jsii
# runtime, pytest) and runs test/python with pytest. The TypeScript side of the parity test uses the
# npm package as built (dist/), so run `npm run build && npm run package:python` first.
# Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shopt -s nullglob
wheels=("$root"/dist-python/python/cdktf_agent_iam-*.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
  echo "test:python: expected one wheel in dist-python/python, found ${#wheels[@]}; run: npm run build && npm run package:python" >&2
  exit 2
fi
venv="$(bash "$root/scripts/python/venv.sh")"
# --no-deps: the venv already pins every dependency; pip check below proves the wheel's are met.
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "${wheels[0]}"
"$venv/bin/pip" check --disable-pip-version-check
cd "$root/test/python"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q "$@"
