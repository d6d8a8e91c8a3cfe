// The TypeScript side of the Python parity test (test/python/test_python_package.py): the same stage-2 and
// stage-4 stacks as python_stacks.py, declared with the npm package as built (package.json "main",
// the same dist/ the wheel embeds). Writes <outdir>/stacks/<env>/cdk.tf.json for each stack.
// Run: node test/python/typescript_stacks.js <outdir> [package]
// With a package name (the consumer test, scripts/consumer/test.sh) the library is required by that
// name from where this file sits; without, from this repository's package.json "main".
'use strict';
const path = require('path');
const root = path.join(__dirname, '..', '..');
const { App } = require('cdktf');
const library = process.argv[3] ?? path.join(root, require(path.join(root, 'package.json')).main);
const { AgentIamStack, Grant, MaturityStage } = require(library);

const ACCOUNT = '111122223333';
const ORCHESTRATOR = `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator`;
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/support-tickets`;
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:support-replies`;
const CORPUS = `arn:aws:s3:::research-corpus-${ACCOUNT}`;

const outdir = process.argv[2];
if (!outdir) {
  process.stderr.write('usage: node test/python/typescript_stacks.js <outdir> [package]\n');
  process.exit(2);
}
const app = new App({ outdir });

new AgentIamStack(app, 'dev', {
  environment: 'dev',
  stage: MaturityStage.FOUNDATION,
  region: 'us-east-1',
  agents: [
    {
      name: 'support-triage',
      owner: 'support-platform@example.com',
      purpose: 'Triages incoming support tickets and drafts replies',
      delegation: { awsPrincipals: [ORCHESTRATOR] },
      permissions: [Grant.readDynamoItems(TABLE), Grant.sendToQueue(QUEUE)],
    },
    {
      name: 'research',
      owner: 'ml-research@example.com',
      purpose: 'Answers research questions from the curated corpus',
      delegation: { awsPrincipals: [ORCHESTRATOR], services: [{ service: 'bedrock-agentcore.amazonaws.com' }] },
      permissions: [Grant.readS3Prefix(CORPUS, 'curated')],
    },
  ],
});

const prod = new AgentIamStack(app, 'prod', {
  environment: 'prod',
  stage: MaturityStage.ADAPTIVE,
  region: 'us-east-1',
  adaptive: {
    breakGlassRoleArns: [`arn:aws:iam::${ACCOUNT}:role/security-break-glass`],
    responderRoleArns: [`arn:aws:iam::${ACCOUNT}:role/incident-responder`],
  },
});
prod.addAgent({
  name: 'support-triage',
  owner: 'support-platform@example.com',
  purpose: 'Triages incoming support tickets and drafts replies',
  expiresAt: '2030-06-30',
  sessionTtl: 900,
  delegation: { awsPrincipals: [ORCHESTRATOR], onBehalfOfPatterns: ['*@example.com'] },
  permissions: [
    Grant.readDynamoItems(TABLE),
    Grant.allow({ actions: ['sqs:SendMessage'], resources: [QUEUE] }),
  ],
  sessionPolicies: [{ name: 'read-ticket', permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: [TABLE] })] }],
});

app.synth();
