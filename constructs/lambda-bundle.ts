/**
 * Lambda handlers as deterministic zips: one esbuild bundle (the AWS SDK
 * inside) stored as a single `index.js` in a ZIP with fixed timestamps and
 * mode, so the same source gives the same bytes and the same
 * `source_code_hash` on every synth.
 *
 * Synth is synchronous, so the ZIP is written here directly (one entry needs
 * no streaming library). The entry is stored, not deflated: deflate output
 * depends on the zlib that Node ships, so a compressed zip would change its
 * hash with the reviewer's Node version, not only with the source.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

/** @internal */
export interface LambdaBundle {
  /** Absolute path of the zip (one `index.js`). */
  readonly zipPath: string;
  /** Base64 SHA-256 of the zip bytes: what Terraform's `filebase64sha256` gives. */
  readonly sourceCodeHash: string;
}

/** @internal */
export interface BundleLambdaOptions {
  /** Rebuild even if this process already bundled the entry (tests). @default false */
  readonly fresh?: boolean;
}

/** @internal The timestamp of every zip entry: 1980-01-01T00:00:00 (the DOS epoch). */
export const ZIP_ENTRY_TIME = new Date(Date.UTC(1980, 0, 1));

/** @internal Unix mode of the zip entry: regular file, rw-r--r--. */
export const ZIP_ENTRY_MODE = 0o100644;

/** @internal Where bundles are staged: one directory per bundle content hash. */
export const ASSET_CACHE_DIR = path.join(os.tmpdir(), 'cdktf-agent-iam-assets');

const memo = new Map<string, LambdaBundle>();

/**
 * @internal
 * Bundles the handler in `entryDir` (`index.ts` in the repository, `index.js`
 * when compiled) and writes it as `<cache>/<sha256 of bundle>/<name>.zip`.
 */
export function bundleLambda(name: string, entryDir: string, options: BundleLambdaOptions = {}): LambdaBundle {
  const dir = path.resolve(entryDir);
  const key = `${name}\0${dir}`;
  const known = memo.get(key);
  if (known && !options.fresh) return known;

  // A published package ships the bundle prebuilt by `npm run build` (bundle.js beside the compiled
  // handler), so consumers need no bundler; in the repository the TypeScript source is bundled here.
  const prebuilt = path.join(dir, PREBUILT_BUNDLE);
  const entry = ['index.ts', 'index.js'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!fs.existsSync(prebuilt) && !entry) {
    throw new Error(`Lambda "${name}": no ${PREBUILT_BUNDLE}, index.ts or index.js in ${dir}`);
  }
  const code = fs.existsSync(prebuilt) ? fs.readFileSync(prebuilt) : bundleEntry(entry!);
  const zip = zipOneFile('index.js', code);
  const zipDir = path.join(ASSET_CACHE_DIR, createHash('sha256').update(code).digest('hex'));
  const zipPath = path.join(zipDir, `${name}.zip`);
  // Reuse the staged zip when it has the same bytes (its mtime, which Terraform ignores, stays); else write it atomically.
  if (!sameBytes(zipPath, zip)) {
    fs.mkdirSync(zipDir, { recursive: true });
    const tmp = `${zipPath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, zip);
    fs.renameSync(tmp, zipPath);
  }
  const result: LambdaBundle = { zipPath, sourceCodeHash: createHash('sha256').update(zip).digest('base64') };
  memo.set(key, result);
  return result;
}

/** @internal File name of a prebuilt bundle beside a compiled handler. */
export const PREBUILT_BUNDLE = 'bundle.js';

/**
 * @internal
 * One CommonJS file for Node 20, everything bundled; paths in it are relative to the package root,
 * never absolute. esbuild is a development dependency: loaded only when there is no prebuilt bundle.
 */
export function bundleEntry(entry: string): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild: typeof import('esbuild') = require('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: packageRoot(path.dirname(entry)),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: false,
    legalComments: 'none',
    minify: false,
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  if (out.outputFiles.length !== 1) {
    throw new Error(`esbuild produced ${out.outputFiles.length} files for ${entry}, expected 1`);
  }
  return Buffer.from(out.outputFiles[0].contents);
}

/** The nearest directory above `from` with a package.json: the base of the `// path` comments esbuild writes. */
function packageRoot(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return from;
  }
}

function sameBytes(file: string, bytes: Buffer): boolean {
  try {
    return fs.readFileSync(file).equals(bytes);
  } catch {
    return false;
  }
}

/** A ZIP archive with one stored entry, fixed time and mode, no extra fields. */
function zipOneFile(name: string, data: Buffer): Buffer {
  const fileName = Buffer.from(name, 'utf8');
  const compressed = data; // method 0 (stored): identical bytes on every Node version
  const crc = zlib.crc32(data);
  const t = ZIP_ENTRY_TIME;
  const dosTime = (t.getUTCHours() << 11) | (t.getUTCMinutes() << 5) | (t.getUTCSeconds() >> 1);
  const dosDate = ((t.getUTCFullYear() - 1980) << 9) | ((t.getUTCMonth() + 1) << 5) | t.getUTCDate();

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); // local file header
  local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  local.writeUInt16LE(0, 6); // flags
  local.writeUInt16LE(0, 8); // method: stored
  local.writeUInt16LE(dosTime, 10);
  local.writeUInt16LE(dosDate, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  local.writeUInt16LE(0, 28); // extra length

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); // central directory header
  central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(0, 10); // method: stored
  central.writeUInt16LE(dosTime, 12);
  central.writeUInt16LE(dosDate, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt16LE(0, 30); // extra length
  central.writeUInt16LE(0, 32); // comment length
  central.writeUInt16LE(0, 34); // disk number
  central.writeUInt16LE(0, 36); // internal attributes
  central.writeUInt32LE((ZIP_ENTRY_MODE << 16) >>> 0, 38); // external attributes: Unix mode
  central.writeUInt32LE(0, 42); // offset of the local header

  const centralOffset = local.length + fileName.length + compressed.length;
  const centralSize = central.length + fileName.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  end.writeUInt16LE(0, 20);

  return Buffer.concat([local, fileName, compressed, central, fileName, end]);
}
