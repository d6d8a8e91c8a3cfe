/**
 * `tighten --trail s3://...`: log files listed under a prefix and streamed from S3
 * (moto's S3), with the same result as the same files read from a folder.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { App } from '../lib/private/cdk';
import { buildExampleApp } from '../bin/fleet';
import { s3TrailFiles } from '../bin/cli/tighten';
import { loadConfigurations } from '../bin/cli/input';
import { Progress } from '../bin/cli/context';
import { readEnvironment } from '../lib/assess';
import { localTrailFiles } from '../lib/tighten/trail-files';
import { tighten, TrailFile } from '../lib/tighten/tighten';
import { writeFleetTrail } from './support/fleet-trail';
import { MotoServer, startMoto } from './support/moto';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-iam-tighten-s3-'));
let moto: MotoServer;
let s3: S3Client;
const BUCKET = 'agent-iam-audit-prod';

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}, 60000);
afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('an S3 prefix gives the same report as the same files in a folder; digests and other objects are not read', async () => {
  const synth = path.join(tmp, 'cdktf.out');
  const app = new App({ outdir: synth });
  buildExampleApp(app);
  app.synth();
  const trail = path.join(tmp, 'trail');
  writeFleetTrail(trail, new Date());
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const local = localTrailFiles(trail).files;
  for (const f of local) {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: path.relative(trail, f.name).split(path.sep).join('/'), Body: fs.readFileSync(f.name) }));
  }
  // Beside the log files: a digest and a note that are not log files.
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/d.json.gz', Body: 'x' }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'AWSLogs/111122223333/README.txt', Body: 'x' }));

  const quiet = new Progress({ out: () => undefined, err: () => undefined, errIsTTY: false, env: {} });
  const environments = (await loadConfigurations(synth, quiet)).filter((c) => c.stack === 'prod').map((config) => ({ config, environment: readEnvironment(config) }));
  const since = new Date(Date.now() - 30 * 86400000);
  const names: string[] = [];
  const listed = s3TrailFiles(`s3://${BUCKET}/AWSLogs/`, undefined, s3);
  const seen: AsyncIterable<TrailFile> = {
    async *[Symbol.asyncIterator]() {
      for await (const f of listed) {
        names.push(f.name);
        yield f;
      }
    },
  };
  const fromS3 = await tighten({ environments, files: seen, since });
  const fromFolder = await tighten({ environments, files: local, since });
  expect(names).toHaveLength(local.length);
  expect(names.every((n) => n.startsWith(`s3://${BUCKET}/AWSLogs/`) && n.endsWith('.json.gz'))).toBe(true);
  const strip = (r: typeof fromS3) => JSON.parse(JSON.stringify({ ...r, generatedAt: '', input: { ...r.input, problems: r.input.problems.map((p) => p.message) } }));
  expect(strip(fromS3)).toEqual(strip(fromFolder));
  expect(fromS3.input.attributed).toBeGreaterThan(10);
}, 120000);

test('a bucket that cannot be listed is one line naming it', async () => {
  const files = s3TrailFiles('s3://no-such-bucket-here/AWSLogs/', undefined, s3);
  await expect((async () => { for await (const f of files) void f; })()).rejects.toThrow(/^s3:\/\/no-such-bucket-here\/AWSLogs\/: cannot be listed \(NoSuchBucket: /);
});
