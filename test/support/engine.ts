/**
 * Access to the engines written by others (checkov, moto) in the project's
 * Python venv, created outside the repo by scripts/engine/venv.sh.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

let venvPath: string | undefined;

/** The venv directory (created on first use; `npm test` creates it in its pretest step). */
export function venv(): string {
  if (!venvPath) {
    venvPath = execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'engine', 'venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  }
  return venvPath;
}

/** A program of the venv. */
export function venvBin(name: string): string {
  return path.join(venv(), 'bin', name);
}
