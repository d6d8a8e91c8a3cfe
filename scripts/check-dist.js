// After `npm run build`: the compiled package synthesizes a stage-3 stack from dist/ alone (the
// prebuilt Lambda bundle, no esbuild at synth), with the same source_code_hash as the repository path.
const { execFileSync } = require('child_process');
const path = require('path');
const { Testing } = require('cdktf');
const lib = require('../dist/lib/index.js');

function synth(l) {
  const s = new l.AgentIamStack(Testing.app(), 'check', { environment: 'check', stage: l.MaturityStage.ENHANCED, region: 'us-east-1' });
  s.addAgent({ name: 'a', owner: 'o', purpose: 'p', expiresAt: '2030-01-01', delegation: { awsPrincipals: ['arn:aws:iam::111122223333:role/o'] },
    permissions: [l.Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:111122223333:table/t')] });
  return Object.values(JSON.parse(Testing.synth(s, true)).resource.aws_lambda_function)[0].source_code_hash;
}
const fromDist = synth(lib);
const fromRepo = execFileSync('npx', ['ts-node', '--transpile-only', '-e', `
  const l = { ...require('./constructs/agent-iam-stack'), ...require('./lib/maturity'), ...require('./lib/grant') };
  const { Testing } = require('cdktf');
  const s = new l.AgentIamStack(Testing.app(), 'check', { environment: 'check', stage: l.MaturityStage.ENHANCED, region: 'us-east-1' });
  s.addAgent({ name: 'a', owner: 'o', purpose: 'p', expiresAt: '2030-01-01', delegation: { awsPrincipals: ['arn:aws:iam::111122223333:role/o'] },
    permissions: [l.Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:111122223333:table/t')] });
  process.stdout.write(Object.values(JSON.parse(Testing.synth(s, true)).resource.aws_lambda_function)[0].source_code_hash);
`], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim();
if (fromDist !== fromRepo) {
  console.error(`dist check: source_code_hash differs: dist ${fromDist}, repository ${fromRepo}`);
  process.exit(1);
}
console.log(`dist check: dist/ synthesizes stage 3 with the prebuilt bundle; source_code_hash ${fromDist} matches the repository`);
