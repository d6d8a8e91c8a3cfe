#!/usr/bin/env bash
# Prints the bin directory of a Node.js of the given major line (22 or 24), for PATH.
# The machine's own node when it is of that line; otherwise the `node` package of that exact version
# from the npm registry (it ships the Node binary inside registry packages), installed once per
# machine under ${AGENT_IAM_CACHE:-~/.cache/cdktf-agent-iam}/node-<version>. Nothing is downloaded
# from anywhere but the npm registry. Everything but the path goes to stderr.
set -euo pipefail
major="${1:-}"
case "$major" in
  22) version=22.23.3 ;;
  24) version=24.21.0 ;;
  *) echo "node.sh: usage: node.sh 22|24 (the Node.js lines this project supports besides the end-of-life 20)" >&2; exit 2 ;;
esac
if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
  dirname "$(command -v node)"
  exit 0
fi
cache="${AGENT_IAM_CACHE:-$HOME/.cache/cdktf-agent-iam}"
dir="$cache/node-$version"
bin="$dir/node_modules/node/bin"
if [ -x "$bin/node" ] && [ "$("$bin/node" --version)" = "v$version" ]; then
  echo "$bin"
  exit 0
fi
echo "installing Node.js $version from the npm registry (package node@$version) into $dir ..." >&2
rm -rf "$dir"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "node@$version" >&2
got="$("$bin/node" --version 2>/dev/null || true)"
if [ "$got" != "v$version" ]; then
  echo "node.sh: node@$version from the npm registry did not yield a working Node $version binary (got '${got:-nothing}') in $bin" >&2
  exit 1
fi
echo "$bin"
