/**
 * Reading CloudTrail log files as a stream of records.
 *
 * A CloudTrail log file is one JSON object, `{"Records": [ ...events ]}`, gzipped (`.json.gz`) as
 * the trail delivers it to S3 (`AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<id>.json.gz`).
 * Files are read with Node's zlib stream and stream-json's tokenizer; each element of `Records`
 * is assembled on its own and handed over, so memory holds one record at a time, never a file.
 *
 * Bad input never stops the run: a file that is not CloudTrail, a truncated gzip or JSON, or
 * elements that are not CloudTrail events each give one problem line naming the file, and the
 * records read before the fault are kept.
 *
 * Pure apart from streams: sources (a folder, an S3 prefix) are opened by the caller.
 */
import { Readable } from 'stream';
import * as zlib from 'zlib';
// stream-json 2.x (CommonJS): the tokenizer and its object assembler.
import parser = require('stream-json/parser.js');
import Assembler = require('stream-json/assembler.js');

/** The fields of a CloudTrail event this reader and its consumers use (the rest are kept as read). */
export interface CloudTrailRecord {
  readonly eventVersion?: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion?: string;
  readonly recipientAccountId?: string;
  readonly eventCategory?: string;
  readonly managementEvent?: boolean;
  readonly readOnly?: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly userIdentity?: any;
  readonly requestParameters?: any;
  readonly resources?: { readonly ARN?: string; readonly type?: string; readonly accountId?: string }[];
  readonly [key: string]: unknown;
}

/** Whether a parsed value has the fields every CloudTrail event has. */
export function isCloudTrailRecord(v: unknown): v is CloudTrailRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return typeof r.eventTime === 'string' && typeof r.eventSource === 'string' && typeof r.eventName === 'string';
}

/** What reading one file gave. */
export interface TrailFileResult {
  /** Where the file came from (a path or an s3:// URL). */
  readonly source: string;
  /** CloudTrail records handed to the consumer. */
  readonly records: number;
  /** Elements of `Records` that are not CloudTrail events (skipped). */
  readonly skipped: number;
  /** One line saying what was wrong with the file, if anything; records before the fault are kept. */
  readonly problem?: string;
}

/** Whether a file name is a log file this reader opens (`*.json.gz`, `*.json`); digests are skipped. */
export function isTrailLogName(name: string): boolean {
  if (/(^|\/)CloudTrail-Digest\//.test(name)) return false;
  return /\.json(\.gz)?$/i.test(name);
}

/**
 * The delivery time CloudTrail writes into a log file's name (`..._20261101T1205Z_...`), or
 * undefined. Every event in the file happened before it, so a file delivered before a window
 * starts holds nothing of the window.
 */
export function deliveryTimeOf(name: string): Date | undefined {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(t) ? undefined : new Date(t);
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Streams the records of one log file to `onRecord`. `gzip` says whether the bytes are gzipped
 * (by default: when the name ends in `.gz`). Resolves when the file is read or has failed (the
 * problem is in the result); rejects only when `onRecord` throws.
 */
export function readTrailFile(input: Readable, source: string, onRecord: (record: CloudTrailRecord) => void,
  options: { gzip?: boolean } = {}): Promise<TrailFileResult> {
  const gzip = options.gzip ?? /\.gz$/i.test(source);
  return new Promise((resolve, reject) => {
    let records = 0;
    let skipped = 0;
    let depth = 0;
    let rootKey: string | undefined;
    let rootIsObject = false;
    let sawRecords = false;
    let inRecords = false;
    let finished = false;
    let consumerError: Error | undefined;
    const asm = new Assembler();
    const tokens = parser.asStream({ streamValues: false });
    const streams: NodeJS.ReadWriteStream[] = [];

    const finish = (problem?: string) => {
      if (finished) return;
      finished = true;
      input.unpipe();
      for (const s of streams) s.unpipe?.();
      input.destroy();
      if (!problem && skipped > 0) {
        problem = sawRecords && records === 0
          ? `not CloudTrail: its Records hold ${skipped} element${skipped === 1 ? '' : 's'} without eventTime, eventSource and eventName`
          : `${skipped} element${skipped === 1 ? '' : 's'} of Records ${skipped === 1 ? 'is' : 'are'} not CloudTrail events (no eventTime, eventSource or eventName); skipped`;
      }
      if (consumerError) reject(consumerError); else resolve({ source, records, skipped, problem });
    };
    const fail = (what: string, e: unknown) => {
      const why = oneLine(String((e as Error)?.message ?? e));
      const kept = records > 0 ? `; the ${records} record${records === 1 ? '' : 's'} before it ${records === 1 ? 'is' : 'are'} kept` : '';
      finish(`${what} (${why})${kept}`);
    };

    tokens.on('data', (tok: { name: string; value?: unknown }) => {
      if (finished) return;
      const name = tok.name;
      if (inRecords) {
        // Between records the assembler is done; an endArray there closes Records.
        if (asm.done && name === 'endArray') {
          inRecords = false;
          depth--;
          return;
        }
        (asm as any)[name](tok.value);
        if (asm.done) {
          const value = asm.current;
          asm.current = null;
          if (isCloudTrailRecord(value)) {
            records++;
            try {
              onRecord(value);
            } catch (e) {
              consumerError = e as Error;
              finish();
            }
          } else {
            skipped++;
          }
        }
        return;
      }
      if (name === 'startObject' || name === 'startArray') {
        if (depth === 0) rootIsObject = name === 'startObject';
        depth++;
        if (depth === 2 && rootIsObject && rootKey === 'Records') {
          if (name !== 'startArray') {
            finish('not CloudTrail: "Records" is not an array');
            return;
          }
          inRecords = true;
          sawRecords = true;
        }
      } else if (name === 'endObject' || name === 'endArray') {
        depth--;
      } else if (name === 'keyValue' && depth === 1) {
        rootKey = String(tok.value);
      }
    });
    tokens.on('error', (e) => fail(sawRecords ? 'truncated or malformed JSON' : 'not JSON', e));
    tokens.on('end', () => {
      if (consumerError) return;
      if (!sawRecords) {
        finish(rootIsObject ? 'not CloudTrail: no "Records" array at the top level' : 'not CloudTrail: expected a JSON object {"Records": [...]}');
      } else if (inRecords || depth !== 0) {
        finish(`truncated JSON: the file ends inside Records${records > 0 ? `; the ${records} record${records === 1 ? '' : 's'} before it ${records === 1 ? 'is' : 'are'} kept` : ''}`);
      } else {
        finish();
      }
    });
    input.on('error', (e) => fail('cannot be read', e));

    if (gzip) {
      const gunzip = zlib.createGunzip();
      gunzip.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'Z_BUF_ERROR' ? 'truncated gzip' : 'not gzip', e));
      streams.push(gunzip);
      input.pipe(gunzip).pipe(tokens);
    } else {
      input.pipe(tokens);
    }
  });
}
