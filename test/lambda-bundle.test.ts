/**
 * Lambda bundles are deterministic: the same handler source gives the same zip
 * bytes and the same source_code_hash, whatever the machine, directory or
 * process. The zip is read back with Python's zipfile (an independent reader
 * that also checks the CRC).
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';
import { bundleLambda, ZIP_ENTRY_MODE } from '../constructs/lambda-bundle';

const ENTRY = path.join(__dirname, '..', 'lambda', 'token-age');

interface ZipEntry { name: string; date_time: number[]; mode: number; compress_type: number; crc_ok: boolean; text: string }

/** Every entry of a zip, as Python's zipfile reads it. */
function readZip(zipPath: string): ZipEntry[] {
  const script = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
print(json.dumps([{"name": i.filename, "date_time": list(i.date_time), "mode": i.external_attr >> 16,
  "compress_type": i.compress_type, "crc_ok": bad is None, "text": z.read(i).decode("utf-8")} for i in z.infolist()]))`;
  return JSON.parse(execFileSync('python3', ['-c', script, zipPath], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

let first: { zipPath: string; sourceCodeHash: string };
let firstBytes: Buffer;
let entries: ZipEntry[];

beforeAll(() => {
  first = bundleLambda('token-age', ENTRY);
  firstBytes = fs.readFileSync(first.zipPath);
  entries = readZip(first.zipPath);
});

test('the zip is staged under the asset cache by an absolute path, and its hash is base64 SHA-256 of its bytes', () => {
  expect(path.isAbsolute(first.zipPath)).toBe(true);
  expect(first.zipPath.startsWith(path.join(os.tmpdir(), 'cdktf-agent-iam-assets') + path.sep)).toBe(true);
  expect(path.basename(first.zipPath)).toBe('token-age.zip');
  expect(path.basename(path.dirname(first.zipPath))).toBe(createHash('sha256').update(entries[0].text, 'utf8').digest('hex'));
  expect(first.sourceCodeHash).toBe(createHash('sha256').update(firstBytes).digest('base64'));
});

test('bundling again gives the same zip, from the memo and from scratch', () => {
  expect(bundleLambda('token-age', ENTRY)).toEqual(first);
  fs.rmSync(first.zipPath);
  const fresh = bundleLambda('token-age', ENTRY, { fresh: true });
  expect(fresh).toEqual(first);
  expect(fs.readFileSync(fresh.zipPath).equals(firstBytes)).toBe(true);
});

test('bundling in another process from another working directory gives the same bytes', () => {
  const script = `require(${JSON.stringify(require.resolve('ts-node'))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(__dirname, '..', 'tsconfig.json'))} });
    const { bundleLambda } = require(${JSON.stringify(path.join(__dirname, '..', 'constructs', 'lambda-bundle.ts'))});
    process.stdout.write(JSON.stringify(bundleLambda('token-age', ${JSON.stringify(ENTRY)}, { fresh: true })));`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: os.tmpdir(), encoding: 'utf8' }));
  expect(out).toEqual(first);
  expect(fs.readFileSync(out.zipPath).equals(firstBytes)).toBe(true);
});

test('the zip holds exactly index.js, stored, with the fixed 1980-01-01 timestamp and mode 0644', () => {
  expect(entries.map((e) => e.name)).toEqual(['index.js']);
  const [e] = entries;
  expect(e.date_time).toEqual([1980, 1, 1, 0, 0, 0]);
  expect(e.mode).toBe(ZIP_ENTRY_MODE);
  expect(e.mode.toString(8)).toBe('100644');
  expect(e.compress_type).toBe(0); // stored: deflate bytes vary with the zlib Node ships
  expect(e.crc_ok).toBe(true);
});

test('the bundle embeds no absolute path of this machine', () => {
  const { text } = entries[0];
  const roots = [path.resolve(__dirname, '..'), os.tmpdir(), os.homedir(), process.cwd(), '/work/']
    .filter((p) => p.length > 1);
  for (const root of roots) {
    expect(`${root}: ${text.includes(root)}`).toBe(`${root}: false`);
  }
});

test('the bundle contains the IAM client: it requires only Node built-ins at run time', () => {
  const { text } = entries[0];
  // Calls, not the `[require("@aws-sdk/signature-v4-crt");]` advice inside the SDK's SigV4a error messages.
  const required = [...new Set([...text.matchAll(/(?<![[\w.])require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]))];
  expect(required).toContain('node:https');
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  expect(required.filter((m) => !builtins.has(m))).toEqual([]);
  expect(text).not.toMatch(/require\(["']@aws-sdk\/client-iam["']\)/);
  expect(text).toMatch(/var CreatePolicyVersionCommand\d* = class extends/);
  expect(text).toMatch(/\/\/ node_modules\/@aws-sdk\/client-iam\//);
});

test('the handler and the pure lib modules are in the bundle; cdktf is not', () => {
  const { text } = entries[0];
  expect(text).toContain('// lambda/token-age/index.ts');
  expect(text).toContain('// lib/token-age.ts');
  expect(text).toMatch(/handler: \(\) => handler/);
  expect(text).not.toMatch(/node_modules\/(cdktf|constructs|@cdktf)\//);
});

test('the bundle loads and exports handler and runTick', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-age-bundle-'));
  try {
    fs.writeFileSync(path.join(dir, 'index.js'), entries[0].text);
    const exported = execFileSync(process.execPath, ['-e', 'const m = require("./index.js"); process.stdout.write(JSON.stringify(Object.keys(m).sort().map((k) => [k, typeof m[k]])))'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    expect(JSON.parse(exported)).toEqual(expect.arrayContaining([['handler', 'function'], ['runTick', 'function']]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory without a handler is refused with the path', () => {
  expect(() => bundleLambda('nothing', os.tmpdir())).toThrow(`Lambda "nothing": no bundle.js, index.ts or index.js in ${os.tmpdir()}`);
});
