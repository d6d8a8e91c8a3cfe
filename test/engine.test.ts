/**
 * `npm run validate:tf` runs the real hashicorp/aws provider and fails, with
 * the provider's own message and the resource address, on what AWS refuses.
 * (It passes on the three example stacks: `.ci/run` runs it after `npm start`.)
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { formatDiagnostic } from '../scripts/engine/validate';

const root = path.join(__dirname, '..');

function validate(...dirs: string[]): { status: number; out: string } {
  const r = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only', 'scripts/engine/validate.ts', ...dirs], {
    cwd: root, encoding: 'utf8', env: { ...process.env, AGENT_IAM_TF_OFFLINE: process.env.AGENT_IAM_TF_OFFLINE ?? '' }, timeout: 600_000,
  });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test('a role with max_session_duration = 900 fails with the provider\'s range message and the role\'s address', () => {
  const r = validate(path.join(root, 'test/fixtures/engine/bad-session-duration'));
  expect(r.out).toMatch(/^provider: hashicorp\/aws \d+\.\d+\.\d+ from /m);
  expect(r.out).toMatch(/bad-session-duration: error: aws_iam_role\.agent_short \(cdk\.tf\.json:\d+\): expected max_session_duration to be in the range \(3600 - 43200\), got 900/);
  expect(r.status).toBe(1);
}, 600_000);

test('a Lambda permission with a dotted statement id fails with the provider\'s message', () => {
  const r = validate(path.join(root, 'test/fixtures/engine/bad-statement-id'));
  expect(r.out).toMatch(/bad-statement-id: error: aws_lambda_permission\.detection.*invalid value for statement_id \(must contain alphanumeric, underscores or dashes only\)/);
  expect(r.out).toMatch(/validate:tf: 1 error\(s\)/);
  expect(r.status).toBe(1);
}, 600_000);

test('a diagnostic without an address is placed by the JSON path Terraform names', () => {
  expect(formatDiagnostic('prod', {
    severity: 'error', summary: 'Extra characters after interpolation expression', detail: 'Template interpolation doesn\'t expect a colon at this location.',
    range: { filename: 'cdk.tf.json', start: { line: 174 } },
    snippet: { context: 'resource.aws_cloudtrail.audit_trail.advanced_event_selector[1].field_selector[2].starts_with' },
  })).toBe('prod: error: resource.aws_cloudtrail.audit_trail.advanced_event_selector[1].field_selector[2].starts_with (cdk.tf.json:174): '
    + 'Extra characters after interpolation expression: Template interpolation doesn\'t expect a colon at this location.');
});
