/**
 * Log files of a local folder (an audit bucket synced with `aws s3 sync`, or a download): every
 * `*.json.gz` and `*.json` below it, in path order, digests left out.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TrailFile } from './tighten';
import { isTrailLogName } from './trail-reader';

/** The log files under a folder (or the one file named), with the count of other files skipped. */
export function localTrailFiles(target: string): { files: TrailFile[]; otherFiles: number } {
  const out: string[] = [];
  let otherFiles = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && isTrailLogName(p.split(path.sep).join('/'))) out.push(p);
      else if (e.isFile()) otherFiles++;
    }
  };
  if (fs.statSync(target).isDirectory()) walk(target); else out.push(target);
  return { files: out.map((name) => ({ name, open: async () => fs.createReadStream(name) })), otherFiles };
}
