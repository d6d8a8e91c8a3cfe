/**
 * A moto server (the venv's `moto_server`) on a free loopback port, for tests,
 * the deploy engine and benchmarks that run AWS code against a fake AWS:
 * start it before, stop it after. The venv is scripts/engine/venv.sh's.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';

let venvPath: string | undefined;

/** The engine venv (created on first use by scripts/engine/venv.sh). */
export function venv(): string {
  if (!venvPath) {
    venvPath = execFileSync('bash', [path.join(__dirname, 'venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }
  return venvPath;
}

/** A program of the engine venv. */
export function venvBin(name: string): string {
  return path.join(venv(), 'bin', name);
}

export interface MotoServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  /** The server's process id (benchmarks read its CPU time). */
  readonly pid?: number;
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
      return { endpoint, pid: child.pid, stop: () => stop(child) };
    } catch (e) {
      lastError = e as Error;
      await stop(child);
    }
  }
  throw lastError!;
}

export function freePort(): Promise<number> {
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

