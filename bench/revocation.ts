/**
 * Revocation benchmark: the revoker handler (lambda/revoker) against moto on a
 * loopback port.
 *
 * - Latency: 1,000 requests over 20 agents (detections, risk events and
 *   manual revocations with random times, so most arrive late and change
 *   nothing, as under a detection burst), one at a time with one set of
 *   clients, as one warm Lambda container handles them: p50 and p99 of
 *   `revoke()` wall time, and AWS calls per request.
 * - Fleet: the kill switch for 100 agents at once: 100 concurrent manual
 *   revocations, each with its own clients (100 containers), wall time until
 *   every role carries its AWSRevokeOlderSessions policy.
 *
 * moto answers every call itself in one Python process (a few ms each), so the
 * numbers are the handler's own cost plus moto's, not AWS's latency.
 *
 * `npx ts-node --transpile-only bench/revocation.ts` prints the section alone;
 * `revocationBench()` returns it for bench/run.ts.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import * as fs from 'fs';
import * as os from 'os';
import { createRevokerClients, revoke, RevokerClients, RevokerConfig } from '../lambda/revoker/index';
import { LEDGER_KEYS, REVOCATION_POLICY_NAME } from '../lib/revocation';
import { agentRoleArn, agentRoleName, agentRolePath, detectionTopicName, ledgerTableName } from '../lib/naming';
import { Severity } from '../lib/severity';
import { RiskBand } from '../lib/risk';
import { seededRandom } from '../test/support/fault-proxy';
import { startMoto } from '../test/support/moto';

const ENV = 'bench';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' }] });
const LATENCY_EVENTS = 1000;
const LATENCY_AGENTS = 20;
const FLEET = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Counts the AWS calls a client set makes. */
function countCalls(clients: RevokerClients): () => number {
  let calls = 0;
  for (const c of [clients.iam, clients.ledger, clients.sns]) {
    c.middlewareStack.add((next) => async (args) => {
      calls++;
      return next(args);
    }, { step: 'initialize', name: 'benchCallCounter' });
  }
  return () => calls;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined where there is no /proc. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Kernel clock ticks per second (USER_HZ), 100 on Linux. */
const CLOCK_TICKS = 100;

function destroy(clients: RevokerClients): void {
  clients.iam.destroy();
  clients.ledger.destroy();
  clients.sns.destroy();
}

/** Runs the benchmark (starts and stops its own moto) and returns a Markdown section. */
export async function revocationBench(): Promise<string> {
  const moto = await startMoto();
  const log = console.log;
  console.log = () => undefined; // the handler logs one JSON line per request
  const direct = { endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  const iam = new IAMClient(direct);
  const ddb = new DynamoDBClient(direct);
  const sns = new SNSClient(direct);
  try {
    const ledgerTable = ledgerTableName(ENV);
    await ddb.send(new CreateTableCommand({
      TableName: ledgerTable, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: LEDGER_KEYS.partition, AttributeType: 'S' }, { AttributeName: LEDGER_KEYS.sort, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: LEDGER_KEYS.partition, KeyType: 'HASH' }, { AttributeName: LEDGER_KEYS.sort, KeyType: 'RANGE' }],
    }));
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: detectionTopicName(ENV) }))).TopicArn!;
    const config: RevokerConfig = { environment: ENV, ledgerTable, topicArn };
    const agents = Array.from({ length: FLEET }, (_, i) => `agent${String(i).padStart(3, '0')}`);
    for (const a of agents) {
      await iam.send(new CreateRoleCommand({ RoleName: agentRoleName(a, ENV), Path: agentRolePath(ENV), AssumeRolePolicyDocument: TRUST }));
    }
    const clientOptions = { endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS };

    // Latency: one warm container, one request at a time.
    const now = new Date();
    const random = seededRandom(4);
    const requests = Array.from({ length: LATENCY_EVENTS }, (_, i) => {
      const agent = agents[Math.floor(random() * LATENCY_AGENTS)];
      const time = new Date(now.getTime() - Math.floor(random() * 86_400) * 1000).toISOString();
      const r = random();
      return r < 0.6
        ? { kind: 'detection', ruleId: 'DET-3.01', severity: Severity.HIGH, event: { id: `evt-${i}`, time, detail: {
          eventTime: time, eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue',
          userIdentity: { sessionContext: { sessionIssuer: { arn: agentRoleArn('aws', '123456789012', ENV, agentRoleName(agent, ENV)) } } },
        } } }
        : r < 0.8
          ? { kind: 'risk', agent, score: 50, band: RiskBand.HIGH, eventId: `risk-${i}`, time, reason: 'bench' }
          : { kind: 'manual', action: 'revoke', agent, requestId: `req-${i}`, time, reason: 'bench', actor: 'bench' };
    });
    const container = createRevokerClients(clientOptions);
    const calls = countCalls(container);
    const latencies: number[] = [];
    const outcomes: Record<string, number> = {};
    const latencyStart = process.hrtime.bigint();
    for (const request of requests) {
      const t0 = process.hrtime.bigint();
      const result = await revoke(container, config, request, now);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
    }
    const latencyWallS = Number(process.hrtime.bigint() - latencyStart) / 1e9;
    const callsPerRequest = calls() / LATENCY_EVENTS;
    destroy(container);
    const sorted = latencies.slice().sort((a, b) => a - b);

    // Fleet: the kill switch for every agent at once, one container per invocation.
    const fleetNow = new Date();
    const containers = agents.map(() => createRevokerClients(clientOptions));
    const fleetCalls = containers.map(countCalls);
    const motoCpu0 = processCpuSeconds(moto.pid);
    const nodeCpu0 = process.cpuUsage();
    const fleetStart = process.hrtime.bigint();
    const fleetResults = await Promise.all(agents.map((agent, i) => {
      const t0 = process.hrtime.bigint();
      return revoke(containers[i], config, { kind: 'manual', action: 'revoke', agent, requestId: `kill-${agent}`, reason: 'fleet kill switch', actor: 'bench' }, fleetNow)
        .then((r) => ({ r, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    }));
    const fleetWallS = Number(process.hrtime.bigint() - fleetStart) / 1e9;
    const motoCpuS = motoCpu0 === undefined ? undefined : processCpuSeconds(moto.pid)! - motoCpu0;
    const nodeCpu = process.cpuUsage(nodeCpu0);
    const nodeCpuS = (nodeCpu.user + nodeCpu.system) / 1e6;
    const fleetCallCount = fleetCalls.reduce((n, c) => n + c(), 0);
    containers.forEach(destroy);
    let revoked = 0;
    for (const a of agents) {
      const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: agentRoleName(a, ENV) }))).PolicyNames ?? [];
      if (names.includes(REVOCATION_POLICY_NAME)) revoked++;
    }
    const fleetSorted = fleetResults.map((x) => x.ms).sort((a, b) => a - b);
    if (revoked !== FLEET || fleetResults.some((x) => x.r.revokedBefore === undefined)) {
      throw new Error(`revocation bench: only ${revoked} of ${FLEET} agents carry ${REVOCATION_POLICY_NAME} after the fleet revocation`);
    }

    const f = (ms: number) => ms.toFixed(1);
    const lines = [
      '## Revocation handler against moto',
      '',
      `Latency: ${LATENCY_EVENTS.toLocaleString('en-US')} requests over ${LATENCY_AGENTS} agents (60% detections, 20% risk, 20% manual, random times in the last day),`
        + ' sequential: one warm container handling one request at a time.'
        + ` Outcomes: ${Object.entries(outcomes).map(([k, v]) => `${v} ${k}`).join(', ')}; ${callsPerRequest.toFixed(1)} AWS calls per request.`,
      '',
      '| measure | value |',
      '|---|---:|',
      `| handler latency p50 (ms) | ${f(percentile(sorted, 50))} |`,
      `| handler latency p99 (ms) | ${f(percentile(sorted, 99))} |`,
      `| handler latency max (ms) | ${f(sorted[sorted.length - 1])} |`,
      `| ${LATENCY_EVENTS.toLocaleString('en-US')} requests, wall (s) | ${latencyWallS.toFixed(2)} |`,
      `| revoke a fleet of ${FLEET} agents at once: wall (s) | ${fleetWallS.toFixed(2)} |`,
      `| fleet: per-invocation p50 / p99 (ms) | ${f(percentile(fleetSorted, 50))} / ${f(percentile(fleetSorted, 99))} |`,
      `| fleet: AWS calls made (GetRole, ledger event, STATE, policy, applied mark, notification, event applied) | ${fleetCallCount} |`,
      `| fleet: moto's CPU for those calls (s) | ${motoCpuS === undefined ? 'not measured (no /proc)' : motoCpuS.toFixed(2)} |`,
      `| fleet: the revoker's own CPU, all ${FLEET} invocations (s) | ${nodeCpuS.toFixed(2)} |`,
      `| fleet: wall / moto CPU (target <= 1.25) | ${motoCpuS ? `${(fleetWallS / motoCpuS).toFixed(2)} (${fleetWallS / motoCpuS <= 1.25 ? 'met' : 'MISSED'})` : 'not measured'} |`,
      '',
      `Fleet: ${FLEET} concurrent manual revocations (the kill switch), one set of clients each as ${FLEET} Lambda containers would have;`
        + ` wall time until all ${FLEET} roles carry ${REVOCATION_POLICY_NAME} (checked). moto serves every call in one Python process,`
        + ' so these are the handler\'s cost plus moto\'s, not AWS latency. What bounds the fleet revocation is moto: one Python process'
        + ' serving the calls in turn (the GIL), so the wall time cannot fall below moto\'s CPU time for them; the revoker\'s own'
        + ' work overlaps it on the other core. Against AWS the bound is IAM\'s write rate (PutRolePolicy) and its propagation (seconds).',
      '',
      `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}.`,
    ];
    return lines.join('\n');
  } finally {
    console.log = log;
    iam.destroy();
    ddb.destroy();
    sns.destroy();
    await moto.stop();
  }
}

if (require.main === module) {
  revocationBench().then((section) => process.stdout.write(`${section}\n`), (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
