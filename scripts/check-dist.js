// After `npm run build`: the compiled package synthesizes a stage-4 stack from dist/ alone (the
// prebuilt Lambda bundles, no esbuild at synth), with the same source_code_hash per Lambda as the
// repository path (TypeScript sources through ts-node). Run: node scripts/check-dist.js
const { execFileSync } = require('child_process');
const path = require('path');
const root = path.join(__dirname, '..');

function library(fromRepo) {
  if (!fromRepo) return require(path.join(root, 'dist', 'index.js'));
  require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
  return { ...require('../constructs/agent-iam-stack'), ...require('../lib/maturity'), ...require('../lib/grant') };
}

function lambdaHashes(l) {
  const { Testing } = require('cdktf');
  const s = new l.AgentIamStack(Testing.app(), 'check', {
    environment: 'check', stage: l.MaturityStage.ADAPTIVE, region: 'us-east-1',
    adaptive: { responderRoleArns: ['arn:aws:iam::111122223333:role/incident-responder'] },
  });
  s.addAgent({
    name: 'a', owner: 'o', purpose: 'p', expiresAt: '2030-01-01', delegation: { awsPrincipals: ['arn:aws:iam::111122223333:role/o'], onBehalfOfPatterns: ['*@example.com'] },
    permissions: [l.Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:111122223333:table/t')],
    sessionPolicies: [{ name: 'read', permissions: [l.Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:111122223333:table/t')] }],
  });
  const fns = JSON.parse(Testing.synth(s, true)).resource.aws_lambda_function;
  return Object.values(fns).map((f) => f.function_name + '=' + f.source_code_hash).sort().join(' ');
}

if (process.argv.includes('--repo')) {
  process.stdout.write(lambdaHashes(library(true)));
} else {
  const fromDist = lambdaHashes(library(false));
  const fromRepo = execFileSync(process.execPath, [__filename, '--repo'], { cwd: root, encoding: 'utf8' }).trim();
  if (fromDist !== fromRepo) {
    console.error(`dist check: source_code_hash differs:\n  dist:       ${fromDist}\n  repository: ${fromRepo}`);
    process.exit(1);
  }
  console.log(`dist check: dist/ synthesizes stage 4 with the prebuilt bundles; every Lambda's source_code_hash matches the repository (${fromDist.split(' ').length} functions)`);
}
