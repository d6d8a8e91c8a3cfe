/**
 * The built-in example fleet: three agents a team would really run, declared
 * per environment. dev runs at stage 2 (Foundation), staging at stage 3
 * (Enhanced) and prod at stage 4 (Adaptive), so a reader sees the stages side by side.
 */
import { App } from '../lib/private/cdk';
import { AgentIamStack, AgentIamStackProps, StateBackendOptions } from '../constructs/agent-iam-stack';
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
  const table = `arn:aws:dynamodb:${region}:${acct}:table/support-tickets-${e}`;
  const replies = `arn:aws:sqs:${region}:${acct}:support-replies-${e}`;
  const corpus = `arn:aws:s3:::research-corpus-${acct}-${e}`;
  const model = `arn:aws:bedrock:${region}::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0`;
  const pipeline = `arn:aws:codepipeline:${region}:${acct}:app-release-${e}`;
  const pipelineRead = Grant.allow({
    actions: ['codepipeline:GetPipelineState', 'codepipeline:GetPipelineExecution', 'codepipeline:ListPipelineExecutions'],
    resources: [pipeline],
  });
  if (env.stage === MaturityStage.FOUNDATION) {
    return [
      {
        name: 'support-triage',
        owner: 'support-platform@example.com',
        purpose: 'Triages incoming support tickets and drafts replies',
        delegation: { awsPrincipals: [orchestrator] },
        permissions: [Grant.readDynamoItems(table), Grant.sendToQueue(replies)],
      },
      {
        name: 'research',
        owner: 'ml-research@example.com',
        purpose: 'Answers research questions from the curated corpus',
        delegation: { awsPrincipals: [orchestrator], services: [{ service: 'bedrock-agentcore.amazonaws.com' }] },
        permissions: [Grant.readS3Prefix(corpus, 'curated'), Grant.invokeBedrockModel(model)],
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
        permissions: [pipelineRead],
      },
    ];
  }
  // Stages 3 and 4: every session is per task (runtimes assume the agent with a source identity and
  // session tags), grants are bound to the region, agents expire, and brokers get templates.
  return [
    {
      name: 'support-triage',
      owner: 'support-platform@example.com',
      purpose: 'Triages incoming support tickets and drafts replies',
      dataClassification: undefined,
      expiresAt: '2027-06-30',
      sessionTtl: 900,
      delegation: { awsPrincipals: [orchestrator], onBehalfOfPatterns: ['*@example.com'] },
      permissions: [Grant.readDynamoItems(table), Grant.sendToQueue(replies)],
      sessionPolicies: [
        { name: 'read-ticket', permissions: [Grant.allow({ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [table] })] },
        { name: 'post-reply', permissions: [Grant.allow({ actions: ['sqs:SendMessage'], resources: [replies] })] },
      ],
    },
    {
      name: 'research',
      owner: 'ml-research@example.com',
      purpose: 'Answers research questions from the curated corpus and each user own uploads',
      expiresAt: '2027-03-31',
      sessionTtl: 1800,
      delegation: { awsPrincipals: [orchestrator, `arn:aws:iam::${acct}:role/research-runtime-${e}`], onBehalfOfPatterns: ['*@example.com'] },
      context: { allowedRegions: [region], sourceVpce: ['vpce-0a1b2c3d4e5f60718'] },
      permissions: [
        Grant.readS3Prefix(corpus, 'curated'),
        Grant.readS3PrefixOnBehalfOf(corpus, 'uploads'),
        Grant.invokeBedrockModel(model),
      ],
      sessionPolicies: [
        { name: 'answer-question', permissions: [Grant.invokeBedrockModel(model), Grant.allow({ actions: ['s3:GetObject'], resources: [`${corpus}/curated/*`] })] },
      ],
    },
    {
      name: 'release',
      owner: 'release-engineering@example.com',
      purpose: 'Reports pipeline status to release managers',
      expiresAt: 'never',
      noExpiryReason: 'Read-only status reporter for the lifetime of the release pipeline - reviewed quarterly',
      delegation: { awsPrincipals: [orchestrator, `arn:aws:iam::${acct}:role/release-ci-runtime-${e}`], onBehalfOfPatterns: ['*@example.com', 'release-bot'] },
      permissions: [pipelineRead],
      sessionPolicies: [{ name: 'report-status', permissions: [Grant.allow({ actions: ['codepipeline:GetPipelineState'], resources: [pipeline] })] }],
    },
  ];
}

/** The state backend named by the environment, if any (see README). */
export function stateBackendFromEnv(): StateBackendOptions | undefined {
  const bucket = process.env.AGENT_IAM_STATE_BUCKET;
  if (!bucket) return undefined;
  return { bucket, region: process.env.AGENT_IAM_STATE_REGION, keyPrefix: process.env.AGENT_IAM_STATE_KEY_PREFIX };
}

/** The example environments: dev at Foundation, staging at Enhanced, prod at Adaptive. */
export function exampleEnvironments(): FleetEnvironment[] {
  const accountId = process.env.AGENT_IAM_ACCOUNT_ID ?? '111122223333';
  const region = process.env.AGENT_IAM_REGION ?? 'us-east-1';
  return [
    { environment: 'dev', stage: MaturityStage.FOUNDATION, region, accountId },
    { environment: 'staging', stage: MaturityStage.ENHANCED, region, accountId },
    { environment: 'prod', stage: MaturityStage.ADAPTIVE, region, accountId },
  ];
}

/** The props of one example environment's stack (tests reuse them with other agents). */
export function exampleStackProps(env: FleetEnvironment): AgentIamStackProps {
  return {
    environment: env.environment,
    stage: env.stage,
    region: env.region,
    stateBackend: stateBackendFromEnv(),
    agents: exampleAgents(env),
    adaptive: env.stage === MaturityStage.ADAPTIVE
      ? {
        breakGlassRoleArns: [`arn:aws:iam::${env.accountId}:role/agent-break-glass-${env.environment}`],
        responderRoleArns: [`arn:aws:iam::${env.accountId}:role/security/incident-responder-${env.environment}`],
      }
      : undefined,
  };
}

/** Builds the example app: one AgentIamStack per environment. */
export function buildExampleApp(app: App): AgentIamStack[] {
  return exampleEnvironments().map((env) => new AgentIamStack(app, env.environment, exampleStackProps(env)));
}
