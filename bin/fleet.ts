/**
 * The built-in example fleet: three agents a team would really run, declared
 * once and synthesized per environment.
 */
import { App } from 'cdktf';
import { AgentIamStack, StateBackendOptions } from '../constructs/agent-iam-stack';
import { AgentIdentityProps } from '../constructs/agent-identity';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';

/** Where the example fleet's existing resources live. */
export interface FleetEnvironment {
  readonly environment: string;
  readonly stage: MaturityStage;
  readonly region: string;
  /** Account that holds the tables, queues and buckets the agents use. */
  readonly accountId: string;
}

/** The example agents of one environment. */
export function exampleAgents(env: FleetEnvironment): AgentIdentityProps[] {
  const { region, accountId: acct, environment: e } = env;
  const orchestrator = `arn:aws:iam::${acct}:role/agent-orchestrator-${e}`;
  return [
    {
      name: 'support-triage',
      owner: 'support-platform@example.com',
      purpose: 'Triages incoming support tickets and drafts replies',
      dataClassification: undefined,
      delegation: { awsPrincipals: [orchestrator] },
      permissions: [
        Grant.readDynamoItems(`arn:aws:dynamodb:${region}:${acct}:table/support-tickets-${e}`),
        Grant.sendToQueue(`arn:aws:sqs:${region}:${acct}:support-replies-${e}`),
      ],
    },
    {
      name: 'research',
      owner: 'ml-research@example.com',
      purpose: 'Answers research questions from the curated corpus',
      delegation: {
        awsPrincipals: [orchestrator],
        services: [{ service: 'bedrock-agentcore.amazonaws.com' }],
      },
      permissions: [
        Grant.readS3Prefix(`arn:aws:s3:::research-corpus-${acct}-${e}`, 'curated'),
        Grant.invokeBedrockModel(`arn:aws:bedrock:${region}::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0`),
      ],
    },
    {
      name: 'release',
      owner: 'release-engineering@example.com',
      purpose: 'Reports pipeline status to release managers',
      delegation: {
        awsPrincipals: [orchestrator],
        oidc: [{
          providerArn: `arn:aws:iam::${acct}:oidc-provider/token.actions.githubusercontent.com`,
          subjects: ['repo:example-org/release-bot:ref:refs/heads/main'],
          audiences: ['sts.amazonaws.com'],
        }],
      },
      permissions: [
        Grant.allow({
          actions: ['codepipeline:GetPipelineState', 'codepipeline:GetPipelineExecution', 'codepipeline:ListPipelineExecutions'],
          resources: [`arn:aws:codepipeline:${region}:${acct}:app-release-${e}`],
        }),
      ],
    },
  ];
}

/** The state backend named by the environment, if any (see README). */
export function stateBackendFromEnv(): StateBackendOptions | undefined {
  const bucket = process.env.AGENT_IAM_STATE_BUCKET;
  if (!bucket) return undefined;
  return { bucket, region: process.env.AGENT_IAM_STATE_REGION, keyPrefix: process.env.AGENT_IAM_STATE_KEY_PREFIX };
}

/** The example environments. */
export function exampleEnvironments(): FleetEnvironment[] {
  const accountId = process.env.AGENT_IAM_ACCOUNT_ID ?? '111122223333';
  const region = process.env.AGENT_IAM_REGION ?? 'us-east-1';
  return [{ environment: 'dev', stage: MaturityStage.FOUNDATION, region, accountId }];
}

/** Builds the example app: one AgentIamStack per environment. */
export function buildExampleApp(app: App): AgentIamStack[] {
  const backend = stateBackendFromEnv();
  return exampleEnvironments().map((env) => new AgentIamStack(app, env.environment, {
    environment: env.environment,
    stage: env.stage,
    region: env.region,
    stateBackend: backend,
    agents: exampleAgents(env),
  }));
}
