#!/usr/bin/env bash
# Runs a command with Node.js <major> (22 or 24) first on PATH, so that node, npm and npx scripts
# the command starts use it. Example: bash scripts/node/with-node.sh 24 npm run test:consumer
set -euo pipefail
major="${1:-}"
shift || true
[ "$#" -gt 0 ] || { echo "with-node.sh: usage: with-node.sh 22|24 <command> [args...]" >&2; exit 2; }
bin="$(bash "$(dirname "$0")/node.sh" "$major")"
export PATH="$bin:$PATH"
echo "with-node.sh: node $(node --version) for: $*" >&2
exec "$@"
