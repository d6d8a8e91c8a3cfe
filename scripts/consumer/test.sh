#!/usr/bin/env bash
# The published artifacts as a user meets them: a fresh app in a temp folder installs
#   1. the `npm pack` tarball (npm installs the peers cdktf, @cdktf/provider-aws and constructs
#      itself), synthesizes a stage-2 and a stage-4 stack, runs `agent-iam assess` on them, and runs
#      the kill switch (`agent-iam approve` writes the approval to the risk table; `agent-iam revoke`
#      reaches the Lambda API) against moto, with no AWS SDK client installed by hand;
#   2. the Python wheel into a fresh venv (offline, from the wheelhouse of scripts/python/venv.sh, so
#      only what the wheel itself declares is installed), synthesizes the same two stacks in Python
#      and runs the wheel's own `agent-iam assess`.
# Needs `npm run build && npm run package:python` first. Run: npm run test:consumer
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d)"
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test:consumer: $*" >&2; exit 1; }
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
export CHECKPOINT_DISABLE=1

[ -f "$root/dist/bin/agent-iam.js" ] || fail "dist/ is not built; run: npm run build"
shopt -s nullglob
wheels=("$root"/dist-python/python/cdktf_agent_iam-*.whl)
[ "${#wheels[@]}" -eq 1 ] || fail "expected one wheel in dist-python/python; run: npm run package:python"

# --- npm -------------------------------------------------------------------------------------
SECONDS=0
tarball="$(cd "$root" && npm pack --silent --pack-destination "$tmp" | tail -1)"
mkdir "$tmp/npm-app"
cd "$tmp/npm-app"
echo '{ "name": "agent-iam-consumer", "version": "1.0.0", "private": true }' > package.json
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tmp/$tarball" >/dev/null
[ ! -e node_modules/@aws-sdk ] || fail "@aws-sdk/* got installed beside the package; the CLI must carry its SDK clients in its bundle"
for peer in cdktf @cdktf/provider-aws constructs; do
  [ -d "node_modules/$peer" ] || fail "peer $peer was not installed by npm"
done
echo "npm: installed $tarball and its peers in ${SECONDS} s"

cp "$root/test/python/typescript_stacks.js" app.js
node app.js cdktf.out cdktf-agent-iam
assess="$(npx --no-install agent-iam assess cdktf.out)" || fail "agent-iam assess failed:\n$assess"
grep -q '^stack dev: stage 2 Foundation (declares 2): ok' <<<"$assess" || fail "assess did not pass the stage-2 stack:\n$assess"
grep -q '^stack prod: stage 4 Adaptive (declares 4): ok' <<<"$assess" || fail "assess did not pass the stage-4 stack:\n$assess"
echo "npm: synthesized stages 2 and 4; agent-iam assess: every stack reaches its stage"

# The kill switch against moto (DynamoDB, STS and Lambda APIs), through the bundled SDK clients.
engine="$(bash "$root/scripts/engine/venv.sh")"
port="$("$engine/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$engine/bin/moto_server" -H 127.0.0.1 -p "$port" >"$tmp/moto.log" 2>&1 &
moto_pid=$!
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
"$engine/bin/python" - <<'PY'
import time, boto3
ddb = boto3.client("dynamodb")
for _ in range(100):
    try:
        ddb.list_tables()
        break
    except Exception:
        time.sleep(0.2)
ddb.create_table(TableName="agent-iam-risk-prod", BillingMode="PAY_PER_REQUEST",
                 KeySchema=[{"AttributeName": "agent", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                 AttributeDefinitions=[{"AttributeName": "agent", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
PY
approved="$(npx --no-install agent-iam approve support-triage --env prod --reason "risk reviewed by the on-call")" || fail "agent-iam approve failed: $approved"
grep -q '^agent support-triage (prod): approved by arn:aws:' <<<"$approved" || fail "unexpected approve output: $approved"
"$engine/bin/python" - <<'PY'
import boto3
items = boto3.client("dynamodb").scan(TableName="agent-iam-risk-prod")["Items"]
assert len(items) == 1 and items[0]["reason"]["S"] == "risk reviewed by the on-call", items
PY
set +e
revoked="$(npx --no-install agent-iam revoke support-triage --env prod --reason "test of the kill switch" 2>&1)"
status=$?
set -e
# moto has no revoker function: the call must reach the Lambda API and fail there, on one line.
[ "$status" -ne 0 ] || fail "revoke succeeded against a moto account without a revoker: $revoked"
grep -q '^agent-iam: lambda:Invoke agent-iam-revoker-prod: ResourceNotFoundException: .*is the stage-4 stack of this environment deployed' <<<"$revoked" \
  || fail "revoke did not reach the Lambda API with a one-line error: $revoked"
echo "npm: agent-iam approve wrote the approval through the bundled DynamoDB client; revoke reached the Lambda API ($(grep '^agent-iam:' <<<"$revoked"))"
kill "$moto_pid"; moto_pid=""
unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION

# --- Python ----------------------------------------------------------------------------------
SECONDS=0
wheelhouse="$(bash "$root/scripts/python/venv.sh")/wheelhouse"
python3 -m venv "$tmp/py-venv"
"$tmp/py-venv/bin/pip" install --quiet --disable-pip-version-check --no-compile --no-index --find-links "$wheelhouse" "${wheels[0]}"
echo "python: installed $(basename "${wheels[0]}") and what it declares in ${SECONDS} s"
mkdir "$tmp/py-app"
cd "$tmp/py-app"
cp "$root/test/python/python_stacks.py" app.py
SECONDS=0
"$tmp/py-venv/bin/python" app.py cdktf.out
echo "python: synthesized stages 2 and 4 in ${SECONDS} s"
assess="$("$tmp/py-venv/bin/agent-iam" assess "$PWD/cdktf.out")" || fail "agent-iam assess (Python) failed:\n$assess"
grep -q '^stack dev: stage 2 Foundation (declares 2): ok' <<<"$assess" || fail "assess (Python) did not pass the stage-2 stack:\n$assess"
grep -q '^stack prod: stage 4 Adaptive (declares 4): ok' <<<"$assess" || fail "assess (Python) did not pass the stage-4 stack:\n$assess"
echo "python: agent-iam assess (the wheel's script): every stack reaches its stage"
