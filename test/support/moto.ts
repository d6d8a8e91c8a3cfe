/**
 * A moto server (the venv's `moto_server`) on a free loopback port, for tests
 * that run AWS SDK code against a fake AWS: start it in beforeAll, stop it in
 * afterAll.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChildProcess, spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import { venvBin } from './engine';

export interface MotoServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 20_000;

/** Starts moto_server on 127.0.0.1 and resolves once it answers HTTP. */
export async function startMoto(): Promise<MotoServer> {
  let lastError: Error | undefined;
  // The free port is only free when we looked: another process may take it before moto binds. Try again then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(venvBin('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilAnswering(endpoint, child, () => stderr);
      return { endpoint, stop: () => stop(child) };
    } catch (e) {
      lastError = e as Error;
      await stop(child);
    }
  }
  throw lastError!;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (${child.exitCode ?? child.signalCode}) before answering on ${endpoint}:\n${stderr()}`);
    }
    if (await answers(endpoint)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${STARTUP_TIMEOUT_MS / 1000} s:\n${stderr()}`);
}

/** Any HTTP response counts: the server is up. */
function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${endpoint}/moto-api/`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Creates a table with the layout of the stage-4 tables (constructs/agent-table.ts): partition key
 * `agent`, sort key `sk`, on demand. LEDGER_KEYS and RISK_KEYS both name this layout.
 */
export async function createAgentTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: name, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'agent', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'agent', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
}
