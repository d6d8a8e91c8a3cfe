/**
 * The manual kill switch: `agent-iam revoke|quarantine|restore <agent> --env <env> --reason "..."`
 * invokes the environment's revoker Lambda with a manual request, so the terminal uses the same
 * code path as the detections. `agent-iam approve` records a person's approval in the risk table,
 * which lets the broker issue write-capable credentials again at elevated risk.
 *
 * The AWS SDK clients are loaded only when a command runs (assess, diff and graph never pay for
 * them). The published CLI is one esbuild bundle (scripts/bundle-cli.ts) that contains them, so a
 * user of the package installs nothing else; in the repository they are devDependencies.
 */
import { randomUUID } from 'crypto';
import { Command } from 'commander';
import { approvalItem } from '../../lib/broker';
import { validateAgentName, validateEnvironment } from '../../lib/naming';
import { ledgerTableName, restoreRequestItem, RevocationAction, RevocationResult, revokerFunctionName } from '../../lib/revocation';
import { riskTableName } from '../../lib/risk';
import { AwsPort, CliContext, CliError, ExitCode } from './context';

/**
 * Runs one AWS API call; its failure becomes one line naming the call, AWS's error and what to
 * check (exit 1), never an "internal error".
 */
async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof CliError) throw e;
    const err = e as { name?: string; message?: string };
    const text = `${err.name ?? ''} ${err.message ?? ''}`;
    const hint = err.name === 'ResourceNotFoundException' || /not found/i.test(err.message ?? '')
      ? '; is the stage-4 stack of this environment deployed in this account and region (--region)?'
      : /credential|security token|signature|expired|region/i.test(text) ? '; check the AWS credentials and region of this shell' : '';
    throw new CliError(`${what}: ${err.name ?? 'Error'}: ${err.message ?? String(e)}${hint}`, ExitCode.FAILED);
  }
}

/** The AWS SDK behind the kill switch (default credential chain and region). */
export function sdkAwsPort(region?: string): AwsPort {
  const cfg = region ? { region } : {};
  return {
    async callerArn() {
      // Literal requires, so that the CLI bundle contains the clients.
      const sts = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
      return (await awsCall('sts:GetCallerIdentity', () => new sts.STSClient(cfg).send(new sts.GetCallerIdentityCommand({})))).Arn ?? 'unknown';
    },
    async invoke(functionName, payload) {
      const lambda = require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
      const r = await awsCall(`lambda:Invoke ${functionName}`, () => new lambda.LambdaClient(cfg).send(new lambda.InvokeCommand({
        FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)),
      })));
      const body = r.Payload ? JSON.parse(Buffer.from(r.Payload).toString('utf8')) : undefined;
      if (r.FunctionError) throw new CliError(`${functionName} failed: ${body?.errorMessage ?? r.FunctionError}`, ExitCode.FAILED);
      return body;
    },
    async putItem(table, item) {
      const ddb = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
      const doc = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
      await awsCall(`dynamodb:PutItem ${table}`, () => doc.DynamoDBDocumentClient.from(new ddb.DynamoDBClient(cfg)).send(new doc.PutCommand({ TableName: table, Item: item })));
    },
  };
}

interface KillSwitchOptions {
  env: string;
  reason: string;
  region?: string;
  format: 'text' | 'json';
}

function check(agent: string, opts: KillSwitchOptions): void {
  const problems = [...validateEnvironment(opts.env), ...validateAgentName(agent, opts.env)];
  if (problems.length > 0) throw new CliError(problems[0]);
  if (!opts.reason || opts.reason.trim().length < 3) throw new CliError('--reason is required: say why (it is recorded in the ledger and announced)');
}

function command(program: Command, name: string, description: string): Command {
  return program.command(name)
    .description(description)
    .argument('<agent>', 'agent name, for example support-triage')
    .requiredOption('--env <env>', 'environment, for example prod')
    .requiredOption('--reason <text>', 'why; recorded in the ledger and announced on SNS')
    .option('--region <region>', 'AWS region of the environment (default: the SDK default)')
    .option('--format <format>', 'text or json', 'text');
}

function registerAction(program: Command, ctx: CliContext, action: RevocationAction, description: string): void {
  command(program, action, description).action(async (agent: string, opts: KillSwitchOptions) => {
    check(agent, opts);
    const aws = ctx.aws ?? sdkAwsPort(opts.region);
    const actor = await aws.callerArn();
    const now = new Date();
    const request = {
      kind: 'manual', action, agent, reason: opts.reason.trim(), actor,
      requestId: randomUUID(), time: now.toISOString(),
    };
    if (action === 'restore') {
      // Restore loosens: the revoker acts only on this ledger item, which only responders may write.
      await aws.putItem(ledgerTableName(opts.env), { ...restoreRequestItem(agent, request.requestId, actor, request.reason, now) });
    }
    const result = await aws.invoke(revokerFunctionName(opts.env), request) as RevocationResult;
    if (opts.format === 'json') {
      ctx.io.out(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      ctx.io.out(`agent ${agent} (${opts.env}): ${result.outcome}`
        + `${result.revokedBefore ? `; sessions issued before ${result.revokedBefore} are denied` : ''}`
        + `${result.quarantined ? '; quarantined: new sessions are denied until restored' : ''}\n`);
    }
    ctx.exitCode = ExitCode.OK;
  });
}

/** Registers revoke, quarantine, restore and approve. */
export function registerKillSwitch(program: Command, ctx: CliContext): void {
  registerAction(program, ctx, 'revoke', 'revoke the live sessions of an agent now (through the environment\'s revoker)');
  registerAction(program, ctx, 'quarantine', 'revoke live sessions and deny new ones until restored');
  registerAction(program, ctx, 'restore', 'lift a quarantine (earlier sessions stay revoked)');
  command(program, 'approve', 'approve an agent again after elevated risk, so the broker may issue write-capable credentials')
    .action(async (agent: string, opts: KillSwitchOptions) => {
      check(agent, opts);
      const aws = ctx.aws ?? sdkAwsPort(opts.region);
      const item = approvalItem(agent, await aws.callerArn(), opts.reason, new Date());
      await aws.putItem(riskTableName(opts.env), { ...item });
      ctx.io.out(opts.format === 'json' ? `${JSON.stringify(item, null, 2)}\n` : `agent ${agent} (${opts.env}): approved by ${item.approver} at ${item.approvedAt}\n`);
      ctx.exitCode = ExitCode.OK;
    });
}
