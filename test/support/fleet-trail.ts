/**
 * A month of the example fleet's prod agents as CloudTrail would record it (bin/fleet.ts): the
 * orchestrator assumes each agent for a person (source identity), the agents call what their
 * tasks need, one tries what it may not, a CI runtime chains into the release agent, an admin
 * works in the account, and an old file and another account's file sit beside them.
 */
import {
  ACCOUNT, agentRoleArn, assumeRole, bedrockInvoke, Caller, codepipelineGetState, codepipelineStart, daysAgo, dynamoDescribeTable,
  dynamoGetItem, dynamoQuery, dynamoScan, getCallerIdentity, record, s3GetObject, s3ListObjects, writeLogFile,
} from './cloudtrail';

export const ENV = 'prod';
export const TABLE = `support-tickets-${ENV}`;
export const QUEUE = `support-replies-${ENV}`;
export const BUCKET = `research-corpus-${ACCOUNT}-${ENV}`;
export const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
export const PIPELINE = `app-release-${ENV}`;
export const ORCHESTRATOR = `arn:aws:iam::${ACCOUNT}:role/agent-orchestrator-${ENV}`;
export const CI_RUNTIME = `arn:aws:iam::${ACCOUNT}:role/release-ci-runtime-${ENV}`;

/** Writes the fleet's trail under `root`; returns what the files hold, for assertions. */
export function writeFleetTrail(root: string, now: Date): { files: string[] } {
  const triage = (si: string): Caller => ({ arn: agentRoleArn('support-triage', ENV), sourceIdentity: si });
  const research = (si: string): Caller => ({ arn: agentRoleArn('research', ENV), sourceIdentity: si });
  const release = (si: string): Caller => ({ arn: agentRoleArn('release', ENV), sourceIdentity: si });
  const orchestrator: Caller = { arn: ORCHESTRATOR, session: 'orchestrator' };
  const ciRuntime: Caller = { arn: CI_RUNTIME, session: 'gha-run-1', sourceIdentity: 'ci:release-bot' };
  const admin: Caller = { arn: `arn:aws:iam::${ACCOUNT}:user/platform-admin` };
  const files: string[] = [];

  // Day 20: support triage for two people; the research agent for alice.
  const d20 = (h: number) => daysAgo(now, 20, h);
  files.push(writeLogFile(root, [
    assumeRole(orchestrator, d20(0), agentRoleArn('support-triage', ENV), 'alice@example.com'),
    dynamoGetItem(triage('alice@example.com'), d20(0.1), TABLE),
    dynamoGetItem(triage('alice@example.com'), d20(0.2), TABLE),
    dynamoQuery(triage('alice@example.com'), d20(0.3), TABLE),
    // sqs:SendMessage is an SQS data event the fleet's trail does not select: it leaves no record.
    getCallerIdentity(triage('alice@example.com'), d20(0.05)),
    assumeRole(orchestrator, d20(1), agentRoleArn('support-triage', ENV), 'bob@example.com'),
    dynamoGetItem(triage('bob@example.com'), d20(1.1), TABLE),
    dynamoQuery(triage('bob@example.com'), d20(1.2), TABLE, 'by-customer'),
    // Not granted: a scan of the whole table.
    dynamoScan(triage('bob@example.com'), d20(1.3), TABLE),
    assumeRole(orchestrator, d20(2), agentRoleArn('research', ENV), 'alice@example.com'),
    bedrockInvoke(research('alice@example.com'), d20(2.1), MODEL),
    bedrockInvoke(research('alice@example.com'), d20(2.2), MODEL, 'ConverseStream'),
    s3ListObjects(research('alice@example.com'), d20(2.3), BUCKET, 'curated/'),
    s3GetObject(research('alice@example.com'), d20(2.4), BUCKET, 'curated/handbook.pdf'),
    // Her own uploads folder (the grant's ${aws:PrincipalTag/on-behalf-of} is her session tag).
    s3GetObject(research('alice@example.com'), d20(2.45), BUCKET, 'uploads/alice@example.com/draft.txt'),
    // Role chaining the release agent's trust does not allow: denied, and listed under both agents.
    assumeRole(research('alice@example.com'), d20(2.5), agentRoleArn('release', ENV), 'alice@example.com', true),
    // Reading another person's uploads: the ABAC resource does not match alice, so IAM denies it.
    s3GetObject(research('alice@example.com'), d20(2.6), BUCKET, 'uploads/bob@example.com/notes.txt', 'no-allow'),
    // Non-agent principals: the admin works in the account.
    { caller: admin, time: d20(3), eventSource: 'iam.amazonaws.com', eventName: 'ListRoles', requestParameters: { pathPrefix: '/agents/' } },
  ].map(record), d20(3.2)));

  // Day 5: a CI runtime chains into the release agent for the release bot; release reads the pipeline and tries to start it.
  const d5 = (h: number) => daysAgo(now, 5, h);
  files.push(writeLogFile(root, [
    assumeRole(orchestrator, d5(0), CI_RUNTIME, 'ci:release-bot'),
    assumeRole(ciRuntime, d5(0.1), agentRoleArn('release', ENV), 'ci:release-bot'),
    codepipelineGetState(release('ci:release-bot'), d5(0.2), PIPELINE),
    codepipelineGetState(release('ci:release-bot'), d5(0.3), PIPELINE),
    codepipelineStart(release('ci:release-bot'), d5(0.4), PIPELINE),
    dynamoDescribeTable({ arn: ORCHESTRATOR, session: 'orchestrator' }, d5(0.5), TABLE),
    dynamoGetItem(triage('carol@example.com'), d5(1), TABLE),
    bedrockInvoke(research('bob@example.com'), d5(2), MODEL, 'Converse'),
  ].map(record), d5(2.2)));

  // Day 45: before a 30-day window.
  files.push(writeLogFile(root, [
    dynamoDescribeTable(triage('alice@example.com'), daysAgo(now, 45), TABLE),
  ].map(record), daysAgo(now, 45, 0.1)));

  // Another account's log file in the same folder (a multi-account bucket).
  files.push(writeLogFile(root, [
    record({ ...dynamoDescribeTable({ arn: agentRoleArn('support-triage', ENV, '444455556666') }, daysAgo(now, 3), TABLE), recipientAccountId: '444455556666' }),
  ], daysAgo(now, 3, 0.1), '444455556666'));
  return { files };
}
