/**
 * Benchmark child: synthesizes one AgentIamStack of a stage with N agents. Run compiled
 * (`npm run build:bench` emits dist/bench/fleet-app.js beside the compiled library):
 *   node dist/bench/fleet-app.js <stage 2|3|4> <agents> <outdir>
 */
import { App } from '../lib/private/cdk';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { AgentIdentityProps } from '../constructs/agent-identity';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';
import { parseChildArgs, report, since } from './report';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

/**
 * The N agents of the benchmark fleet: three realistic grants each; from stage 3 an expiry, from
 * stage 4 a session-policy template (stage 4 requires one).
 */
export function benchAgents(n: number, stage: MaturityStage = MaturityStage.FOUNDATION): AgentIdentityProps[] {
  const agents: AgentIdentityProps[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(4, '0');
    const table = Grant.readDynamoItems(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t-${id}`);
    agents.push({
      name: `agent-${id}`,
      owner: `team-${i % 25}@example.com`,
      purpose: `Benchmark agent ${id} reads its table and bucket prefix and posts results to its queue`,
      delegation: {
        awsPrincipals: [`arn:aws:iam::${ACCOUNT}:role/orchestrator`],
        ...(stage >= MaturityStage.ADAPTIVE ? { onBehalfOfPatterns: ['*@example.com'] } : {}),
      },
      ...(stage >= MaturityStage.ENHANCED ? { expiresAt: '2030-06-30' } : {}),
      ...(stage >= MaturityStage.ADAPTIVE ? { sessionPolicies: [{ name: 'read-table', permissions: [table] }] } : {}),
      permissions: [
        table,
        Grant.sendToQueue(`arn:aws:sqs:${REGION}:${ACCOUNT}:q-${id}`),
        Grant.readS3Prefix(`arn:aws:s3:::bucket-${id}`, 'data'),
      ],
    });
  }
  return agents;
}

/** The benchmark stack: above 990 agents it declares the raised IAM roles quota (AWS's default is 1,000 roles per account). */
export function benchStack(app: App, stage: MaturityStage, n: number): AgentIamStack {
  return new AgentIamStack(app, 'bench', {
    environment: 'bench',
    stage,
    region: REGION,
    agents: benchAgents(n, stage),
    quotas: n > 990 ? { iamRolesPerAccount: 5000 } : undefined,
    ...(stage >= MaturityStage.ADAPTIVE ? { adaptive: { responderRoleArns: [`arn:aws:iam::${ACCOUNT}:role/incident-responder`] } } : {}),
  });
}

function main(): void {
  const { stage, agents: n, outdir } = parseChildArgs(process.argv);
  const t0 = performance.now();
  const app = new App({ outdir });
  benchStack(app, stage as MaturityStage, n);
  const construct = since(t0);
  const t1 = performance.now();
  app.synth();
  const synth = since(t1);
  report({ construct, synth });
}

if (require.main === module) {
  main();
}
