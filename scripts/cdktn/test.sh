#!/usr/bin/env bash
# The CDK Terrain flavour: the same sources with lib/private/cdk.ts importing cdktn, constructs/aws.ts
# importing @cdktn/provider-aws, and package.json switched (scripts/cdktn/flavour.js), built with jsii
# and tested with the whole jest suite, on Node 22 (cdktn's floor; from the npm registry when the
# machine's node is older, scripts/node/node.sh). The flavour lives in a scratch folder outside the
# repository, ${AGENT_IAM_CACHE:-~/.cache/cdktf-agent-iam}/cdktn-flavour, whose node_modules is kept
# per machine and reinstalled when the flavour's package.json changes. The folder is made a git
# repository of one commit of those sources, so tests that ask git about the sources work as in a clone.
# Run: npm run test:cdktn [-- <jest args>]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${AGENT_IAM_CACHE:-$HOME/.cache/cdktf-agent-iam}"
scratch="$cache/cdktn-flavour"
start=$(date +%s)
export PATH="$(bash "$root/scripts/node/node.sh" 22):$PATH"
echo "test:cdktn: node $(node --version), flavour in $scratch" >&2

mkdir -p "$scratch"
want="$(node "$root/scripts/cdktn/flavour.js" "$root/package.json")"
# Sources: exactly the repository's files (tracked and new), never its node_modules or outputs.
find "$scratch" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name package-lock.json ! -name .installed -exec rm -rf {} +
(cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"; done) | (cd "$root" && xargs -0 cp --parents -t "$scratch")
printf '%s\n' "$want" > "$scratch/package.json"

# The two flavour modules.
sed -i "s#from 'cdktf'#from 'cdktn'#; s#\(CDK_PACKAGE[^=]*= \)'cdktf'#\1'cdktn'#" "$scratch/lib/private/cdk.ts"
sed -i "s#@cdktf/provider-aws#@cdktn/provider-aws#g" "$scratch/constructs/aws.ts"
sed -i "s#'cdktf/lib/testing#'cdktn/lib/testing#" "$scratch/test/matchers.d.ts"   # types of the jest matchers
# The PR workflow example reads the provider version the bindings target from the bindings' package.
sed -i "s#@cdktf/provider-aws/package.json#@cdktn/provider-aws/package.json#" "$scratch"/examples/github-actions/*.yml
if grep -rqE "'(cdktf|@cdktf/provider-aws)(/[^']*)?'" "$scratch/lib/private/cdk.ts" "$scratch/constructs/aws.ts"; then
  echo "test:cdktn: a flavour module still imports cdktf" >&2; exit 1
fi

cd "$scratch"
stamp="$(sha256sum package.json | cut -d' ' -f1)"
if [ ! -f .installed ] || [ "$(cat .installed)" != "$stamp" ] || [ ! -d node_modules/cdktn ]; then
  # Start from the main lockfile so every shared dependency keeps its locked version.
  cp "$root/package-lock.json" package-lock.json
  t=$(date +%s)
  npm install --no-audit --no-fund --loglevel=error >&2
  echo "$stamp" > .installed
  echo "test:cdktn: installed the flavour's dependencies in $(( $(date +%s) - t )) s" >&2
fi
# A git repository of one commit, like a clone of the flavour: tests that list the sources with
# `git ls-files` (the flavour guard) see exactly the copied files. Local only: no remote, no hooks,
# no signing, a fixed author and date, so the commit is the same on every machine.
rm -rf .git
git -c init.defaultBranch=main init -q --template= .
mkdir -p .git/info && printf '%s\n' .installed > .git/info/exclude
git add -A
GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' git \
  -c user.name='cdktf-agent-iam test:cdktn' -c user.email='test-cdktn@example.invalid' \
  -c commit.gpgsign=false -c core.hooksPath=/dev/null \
  commit -q --no-verify -m 'cdktf-agent-iam-cdktn: the CDK Terrain flavour of the sources'
t=$(date +%s)
npx tsc --noEmit -p tsconfig.json
npx jsii >/dev/null
echo "test:cdktn: type-checked and compiled with jsii in $(( $(date +%s) - t )) s" >&2
bash "$root/scripts/engine/venv.sh" >/dev/null   # the engines tests run (checkov, moto, parliament, zizmor), as npm test's pretest does
t=$(date +%s)
status=0
npx jest "$@" || status=$?
echo "test:cdktn: jest in $(( $(date +%s) - t )) s; total $(( $(date +%s) - start )) s (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
exit "$status"
