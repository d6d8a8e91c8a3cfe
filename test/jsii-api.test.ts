/**
 * The public API stays jsii-compatible (the Python package and every other jsii target depend on
 * it). A type used by a public member but not exported, a union-literal or snake_case struct, a
 * generic: each breaks `npm run build`, which `npm test` would not otherwise run. Twice a public
 * member took a lib/ type jsii cannot model; this catches the kind in the test command.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

test('jsii compiles the public API with no errors', () => {
  const root = path.resolve(__dirname, '..');
  const r = spawnSync(process.execPath, [require.resolve('jsii/bin/jsii'), '--project', root], {
    cwd: root, encoding: 'utf8', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' }, timeout: 240_000,
  });
  const errors = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error JSII\d+/.test(l));
  expect(errors).toEqual([]);
  expect(r.status).toBe(0);
}, 300_000);
