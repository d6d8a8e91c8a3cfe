/**
 * Access to the engines written by others (checkov, moto, parliament, zizmor)
 * in the project's Python venv, created outside the repo by scripts/engine/venv.sh.
 */
export { venv, venvBin } from '../../scripts/engine/moto-server';
