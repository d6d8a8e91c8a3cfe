/**
 * Benchmark child: synthesizes one Foundation AgentIamStack with N agents.
 *   node -r ts-node/register/transpile-only bench/fleet-app.ts <agents> <outdir>
 */
import { App } from 'cdktf';
import { AgentIamStack } from '../constructs/agent-iam-stack';
import { AgentIdentityProps } from '../constructs/agent-identity';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';
import { parseChildArgs, report, since } from './report';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

/** The N agents of the benchmark fleet: three realistic grants each. */
export function benchAgents(n: number): AgentIdentityProps[] {
  const agents: AgentIdentityProps[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(4, '0');
    agents.push({
      name: `agent-${id}`,
      owner: `team-${i % 25}@example.com`,
      purpose: `Benchmark agent ${id} reads its table and bucket prefix and posts results to its queue`,
      delegation: { awsPrincipals: [`arn:aws:iam::${ACCOUNT}:role/orchestrator`] },
      permissions: [
        Grant.readDynamoItems(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t-${id}`),
        Grant.sendToQueue(`arn:aws:sqs:${REGION}:${ACCOUNT}:q-${id}`),
        Grant.readS3Prefix(`arn:aws:s3:::bucket-${id}`, 'data'),
      ],
    });
  }
  return agents;
}

function main(): void {
  const { agents: n, outdir } = parseChildArgs(process.argv);
  const t0 = performance.now();
  const agents = benchAgents(n);
  const app = new App({ outdir });
  new AgentIamStack(app, 'bench', {
    environment: 'bench',
    stage: MaturityStage.FOUNDATION,
    region: REGION,
    agents,
  });
  const construct = since(t0);
  const t1 = performance.now();
  app.synth();
  const synth = since(t1);
  report({ construct, synth }, -1);
}

if (require.main === module) {
  main();
}
