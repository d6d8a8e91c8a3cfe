/**
 * A fault-injecting HTTP proxy on a loopback port, in front of moto: with a
 * seeded PRNG it answers a fraction of requests as an overloaded AWS would
 * (throttling in the service's own error format, 500, 503), and forwards the
 * rest. It can also lose responses: forward the request (so it takes effect)
 * and answer 500, which is what makes retried writes need to be idempotent.
 *
 * It can also delay requests by a random time before forwarding, so that
 * concurrent requests reach moto out of order, as they reach AWS.
 *
 * The service of a request is read from its SigV4 credential scope; faults are
 * injected only for the services listed. Bounded: request bodies are capped,
 * forwarding times out, and the proxy closes itself after `maxLifetimeMs`
 * (unless stopped before, in afterAll).
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export type FaultKind = 'throttle' | 'internal' | 'unavailable' | 'lost';

export interface FaultProxyOptions {
  /** Where to forward, e.g. moto's endpoint `http://127.0.0.1:41234`. */
  readonly target: string;
  /** Fraction (0..1) of requests to the listed services that get a fault. */
  readonly faultRate: number;
  /** Seed of the PRNG that decides which requests get a fault and which kind. */
  readonly seed: number;
  /** Services (SigV4 scope names) that get faults; @default ['iam', 'dynamodb', 'sns'] */
  readonly services?: string[];
  /** Relative weights of the fault kinds; @default throttle 5, internal 2, unavailable 2, lost 1 */
  readonly weights?: Partial<Record<FaultKind, number>>;
  /**
   * Called before a request is forwarded; the request waits until the returned promise
   * settles (tests hold one call back to force an interleaving).
   */
  readonly beforeForward?: (request: { service?: string; body: string }) => Promise<void> | void;
  /** Each forwarded request waits a random time in [0, maxDelayMs) first; @default 0 */
  readonly maxDelayMs?: number;
  /** @default 10 minutes */
  readonly maxLifetimeMs?: number;
}

export interface FaultProxyStats {
  requests: number;
  forwarded: number;
  faults: Record<FaultKind, number>;
  byService: Record<string, { requests: number; faults: number }>;
}

export interface FaultProxy {
  /** e.g. http://127.0.0.1:41235 */
  readonly endpoint: string;
  readonly stats: FaultProxyStats;
  /** Changes the fault rate from now on (0 turns faults off). */
  setFaultRate(rate: number): void;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const FORWARD_TIMEOUT_MS = 30_000;
const DEFAULT_WEIGHTS: Record<FaultKind, number> = { throttle: 5, internal: 2, unavailable: 2, lost: 1 };
const QUERY_SERVICES = new Set(['iam', 'sns', 'sts', 'sqs']);

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The service of a SigV4-signed request (`Credential=AKID/20300101/us-east-1/iam/aws4_request`). */
export function serviceOf(headers: http.IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  const m = typeof auth === 'string' ? /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth) : null;
  return m?.[1];
}

interface ErrorAnswer { status: number; headers: Record<string, string>; body: string }

/** The error a service answers, in its protocol: awsQuery XML (IAM, SNS, STS) or awsJson (DynamoDB). */
export function errorAnswer(service: string, kind: Exclude<FaultKind, 'lost'> | 'lost', requestId: string): ErrorAnswer {
  const [status, code, message, type] = {
    throttle: [400, 'Throttling', 'Rate exceeded', 'Sender'],
    internal: [500, 'InternalFailure', 'We encountered an internal error. Please try again.', 'Receiver'],
    lost: [500, 'InternalFailure', 'We encountered an internal error. Please try again.', 'Receiver'],
    unavailable: [503, 'ServiceUnavailable', 'Service is unable to handle request.', 'Receiver'],
  }[kind] as [number, string, string, string];
  if (QUERY_SERVICES.has(service)) {
    return {
      status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: `<ErrorResponse xmlns="https://${service}.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${code}</Code>`
        + `<Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  const jsonCode = service === 'dynamodb'
    ? { throttle: 'ThrottlingException', internal: 'InternalServerError', lost: 'InternalServerError', unavailable: 'ServiceUnavailable' }[kind]
    : code;
  const prefix = service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#' : '';
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': jsonCode, 'x-amzn-requestid': requestId },
    body: JSON.stringify({ __type: `${prefix}${jsonCode}`, message }),
  };
}

/** Starts the proxy on 127.0.0.1 (a free port). */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed);
  const services = new Set(options.services ?? ['iam', 'dynamodb', 'sns']);
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const kinds = Object.keys(weights) as FaultKind[];
  const totalWeight = kinds.reduce((s, k) => s + weights[k], 0);
  let faultRate = options.faultRate;
  const stats: FaultProxyStats = { requests: 0, forwarded: 0, faults: { throttle: 0, internal: 0, unavailable: 0, lost: 0 }, byService: {} };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let ids = 0;

  const pickFault = (service: string | undefined): FaultKind | undefined => {
    if (!service || !services.has(service)) return undefined;
    if (random() >= faultRate) return undefined;
    let x = random() * totalWeight;
    for (const k of kinds) {
      x -= weights[k];
      if (x < 0) return k;
    }
    return kinds[kinds.length - 1];
  };

  const maxDelayMs = options.maxDelayMs ?? 0;
  const forward = async (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> => {
    if (maxDelayMs > 0) await new Promise((r) => setTimeout(r, Math.floor(random() * maxDelayMs)));
    await options.beforeForward?.({ service: serviceOf(req.headers), body: body.toString('utf8') });
    return new Promise((resolve, reject) => {
      const out = http.request({
        host: target.hostname, port: target.port, method: req.method, path: req.url, agent,
        headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
        timeout: FORWARD_TIMEOUT_MS,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      out.on('timeout', () => out.destroy(new Error(`no answer from ${options.target} within ${FORWARD_TIMEOUT_MS} ms`)));
      out.on('error', reject);
      out.end(body);
    });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', async () => {
      if (size > MAX_BODY_BYTES) return;
      const body = Buffer.concat(chunks);
      const service = serviceOf(req.headers);
      stats.requests++;
      const s = (stats.byService[service ?? 'unknown'] ??= { requests: 0, faults: 0 });
      s.requests++;
      const fault = pickFault(service);
      const requestId = `fault-proxy-${++ids}`;
      try {
        if (fault) {
          stats.faults[fault]++;
          s.faults++;
          if (fault === 'lost') {
            await forward(req, body); // it takes effect; the caller never hears
            stats.forwarded++;
          }
          const answer = errorAnswer(service!, fault, requestId);
          res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) }).end(answer.body);
          return;
        }
        const answer = await forward(req, body);
        stats.forwarded++;
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        delete headers.connection;
        res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) }).end(answer.body);
      } catch (e) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault-proxy: ${(e as Error).message}`);
      }
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      clearTimeout(lifetime);
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    });
    return stopped;
  };
  const lifetime = setTimeout(() => { void stop(); }, options.maxLifetimeMs ?? 10 * 60_000);
  lifetime.unref();

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setFaultRate: (rate: number) => { faultRate = rate; },
    stop,
  };
}
