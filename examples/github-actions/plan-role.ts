/**
 * The read-only role the optional `plan` job of agent-iam-pr.yml assumes with GitHub OIDC, written
 * with this library: its trust is `trustPolicy()` of an OIDC delegation, validated like an agent's
 * (so an unanchored GitHub subject is a synth error), accepting exactly one subject,
 * `repo:<owner>/<repo>:environment:<environment>`.
 *
 * The plan job runs the head's Terraform with this role's credentials, so whatever the role can
 * read, a pull request can read. It gets AWS's ReadOnlyAccess (what `terraform plan` needs to
 * refresh every resource type the stacks hold) minus the data reads: objects other than the
 * Terraform state, table items, queue messages, log events, secrets, and decryption except
 * through S3 (the state) and SSM (the library's /agent-iam/ parameters).
 *
 * Deploy once per account, from a trusted machine (never from the pull request workflow):
 *
 *   AGENT_IAM_PLAN_REPOSITORY=acme/agents AGENT_IAM_STATE_BUCKET=acme-tf-state \
 *     npx cdktf deploy --app "npx ts-node --transpile-only examples/github-actions/plan-role.ts" agent-iam-pr-plan
 *
 * then set the repository variables AGENT_IAM_PLAN_ROLE_ARN (the `role_arn` output) and
 * AGENT_IAM_PLAN_REGION, and create the GitHub environment `agent-iam-plan` with required reviewers.
 */
import { App, TerraformOutput, TerraformStack } from '../../lib/private/cdk';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity, DataAwsPartition, IamRole, IamRolePolicy, IamRolePolicyAttachment, AwsProvider } from '../../constructs/aws';
import { AgentDelegation, GITHUB_ACTIONS_ISSUER, trustPolicy, validateDelegation } from '../../lib/delegation';
import { policyDoc, PolicyDoc, policyJson } from '../../lib/policy';

/** The GitHub environment the plan job runs in (see agent-iam-pr.yml). */
export const PLAN_ENVIRONMENT = 'agent-iam-plan';
/** Where the library writes its SSM parameters (registry entries, session-policy templates). */
const LIBRARY_PARAMETERS = 'parameter/agent-iam/*';

/** Reads a plan must not make: data, not configuration. */
const DATA_READS = [
  'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:GetRecords', 'dynamodb:PartiQLSelect', 'dynamodb:Query', 'dynamodb:Scan',
  'sqs:ReceiveMessage',
  'logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:GetQueryResults', 'logs:StartLiveTail', 'logs:StartQuery',
  'secretsmanager:GetSecretValue',
];

/** Where the plan reads Terraform state. */
export interface PlanStateLocation {
  /** S3 bucket of the state (`AGENT_IAM_STATE_BUCKET`). */
  readonly bucket: string;
  /** Key prefix of the state (`AGENT_IAM_STATE_KEY_PREFIX`). @default "cdktf-agent-iam" */
  readonly keyPrefix?: string;
}

/**
 * The explicit denies that keep ReadOnlyAccess to configuration: no object but the state, no
 * table item, queue message, log event or secret, no parameter outside /agent-iam/, and no
 * decryption except through S3 and SSM.
 * @param partition AWS partition (`aws`, `aws-cn`, ...)
 * @param accountId the account of the parameters
 * @param state the state location; without it no object may be read
 */
export function planRoleGuardrails(partition: string, accountId: string, state?: PlanStateLocation): PolicyDoc {
  const stateObjects = state ? [`arn:${partition}:s3:::${state.bucket}/${state.keyPrefix ?? 'cdktf-agent-iam'}/*`] : undefined;
  return policyDoc([
    { Sid: 'DenyDataReads', Effect: 'Deny', Action: DATA_READS, Resource: ['*'] },
    stateObjects
      ? { Sid: 'DenyObjectsButState', Effect: 'Deny', Action: ['s3:GetObject', 's3:GetObjectVersion'], NotResource: stateObjects }
      : { Sid: 'DenyObjects', Effect: 'Deny', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: ['*'] },
    {
      Sid: 'DenyParametersButLibrary', Effect: 'Deny',
      Action: ['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      NotResource: [`arn:${partition}:ssm:*:${accountId}:${LIBRARY_PARAMETERS}`],
    },
    {
      Sid: 'DenyDecryptButStateAndParameters', Effect: 'Deny', Action: ['kms:Decrypt'], Resource: ['*'],
      Condition: { StringNotLike: { 'kms:ViaService': ['s3.*.amazonaws.com', 'ssm.*.amazonaws.com'] } },
    },
  ]);
}

/** Options of the plan role stack. */
export interface PlanRoleStackProps {
  /** The GitHub repository whose workflow plans, `<owner>/<repo>` (no wildcards). */
  readonly repository: string;
  /** Region of the provider (IAM is global). */
  readonly region: string;
  /** The GitHub environment of the plan job. @default "agent-iam-plan" */
  readonly environment?: string;
  /**
   * ARN of the account's IAM OIDC provider for token.actions.githubusercontent.com.
   * @default - arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com
   */
  readonly oidcProviderArn?: string;
  /** Where the state is. @default - none: no object may be read (local state only) */
  readonly state?: PlanStateLocation;
  /** Role name. @default "agent-iam-pr-plan" */
  readonly roleName?: string;
}

/** One read-only plan role trusted by one repository's `agent-iam-plan` environment. */
export class PlanRoleStack extends TerraformStack {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: PlanRoleStackProps) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: props.region });
    const partition = new DataAwsPartition(this, 'partition').partition;
    const accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    const roleName = props.roleName ?? 'agent-iam-pr-plan';
    const delegation: AgentDelegation = {
      oidc: [{
        providerArn: props.oidcProviderArn ?? `arn:${partition}:iam::${accountId}:oidc-provider/${GITHUB_ACTIONS_ISSUER}`,
        issuer: GITHUB_ACTIONS_ISSUER,
        subjects: [`repo:${props.repository}:environment:${props.environment ?? PLAN_ENVIRONMENT}`],
        audiences: ['sts.amazonaws.com'],
      }],
    };
    const ctx = { partition, region: props.region, accountId };
    const problems = validateDelegation(roleName, delegation, ctx);
    if (problems.length > 0) throw new Error(`plan role (repository "${props.repository}"):\n  ${problems.join('\n  ')}`);

    this.role = new IamRole(this, 'role', {
      name: roleName,
      description: `terraform plan of pull requests of ${props.repository}, read-only, assumed with GitHub OIDC`,
      assumeRolePolicy: policyJson(trustPolicy(delegation, ctx)),
      maxSessionDuration: 3600,
      tags: { 'agent-iam:purpose': 'pr-plan' },
    });
    new IamRolePolicyAttachment(this, 'read-only', { role: this.role.name, policyArn: `arn:${partition}:iam::aws:policy/ReadOnlyAccess` });
    new IamRolePolicy(this, 'guardrails', {
      role: this.role.name,
      name: 'deny-data-reads',
      policy: policyJson(planRoleGuardrails(partition, accountId, props.state)),
    });
    new TerraformOutput(this, 'role_arn', { value: this.role.arn });
  }
}

if (require.main === module) {
  const repository = process.env.AGENT_IAM_PLAN_REPOSITORY;
  if (!repository) {
    process.stderr.write('plan-role: set AGENT_IAM_PLAN_REPOSITORY to the repository whose pull requests are planned, as <owner>/<repo>\n');
    process.exit(2);
  }
  const app = new App();
  const bucket = process.env.AGENT_IAM_STATE_BUCKET;
  new PlanRoleStack(app, 'agent-iam-pr-plan', {
    repository,
    region: process.env.AGENT_IAM_REGION || 'us-east-1',
    state: bucket ? { bucket, keyPrefix: process.env.AGENT_IAM_STATE_KEY_PREFIX || undefined } : undefined,
  });
  app.synth();
}
