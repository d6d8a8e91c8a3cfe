/**
 * The README's stage table and limits table come from the catalog and the
 * limits table; this keeps them from drifting apart.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ControlCatalog } from '../lib/maturity';
import { ACCOUNT_QUOTAS, AwsLimits } from '../lib/limits';
import { DETECTION_RULES } from '../lib/detections';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const fmt = (n: number) => n.toLocaleString('en-US');

test.each(ControlCatalog.all().map((c) => [c.id, c.title]))('the stage table lists %s (%s)', (id, title) => {
  // Inside the table's list a title may start lower-case ("AIAM-2.03 owner and purpose recorded").
  const forms = [title, `${title.charAt(0).toLowerCase()}${title.slice(1)}`].map((t) => `${id} ${t}`);
  expect(forms.some((f) => readme.includes(f))).toBe(true);
});

test('the limits table states the enforced values', () => {
  for (const v of [AwsLimits.ROLE_NAME_MAX, AwsLimits.ROLE_INLINE_POLICY_TOTAL_MAX, AwsLimits.MANAGED_POLICY_MAX, AwsLimits.TRUST_POLICY_MAX,
    AwsLimits.MAX_SESSION_DURATION_MIN, AwsLimits.MAX_SESSION_DURATION_MAX, AwsLimits.UNRESOLVED_TOKEN_ESTIMATE]) {
    expect(readme).toContain(fmt(v));
  }
});

test.each(ACCOUNT_QUOTAS.map((q) => [q.name, q.service, q.defaultValue] as [string, string, number]))('the account quota table lists %s (%s, %d)', (name, service, value) => {
  expect(readme).toContain(`| ${name} | ${service} | ${fmt(value)}`);
});

test('the README names the two commands of the quickstart', () => {
  expect(readme).toContain('npm ci && npm start');
  expect(readme).toContain('npm test');
});

test.each(DETECTION_RULES.map((r) => [r.id, r.severity, r.title] as [string, string, string]))('the detection catalog lists %s (%s): %s', (id, severity, title) => {
  expect(readme).toMatch(new RegExp(`\\| ${id} \\| ${severity} \\| ${String(title).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('the threat model says what IAM enforces, what detection covers and what remains, with an SCP for the revoker', () => {
  const section = readme.slice(readme.indexOf('### Threat model'));
  for (const heading of ['**Enforced by IAM**', '**Covered by detection**', '**What remains**']) expect(section).toContain(heading);
  const scp = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]);
  expect(scp.Statement[0]).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['lambda:InvokeFunction']), Resource: expect.stringContaining('function:agent-iam-revoker-') });
});
