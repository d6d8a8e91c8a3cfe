/**
 * One source tree, two builds (CDK for Terraform and CDK Terrain): cdktf is imported only by
 * lib/private/cdk.ts and the AWS provider bindings only by constructs/aws.ts, so switching those two
 * modules and package.json (scripts/cdktn/test.sh) switches the whole library. The tests' type
 * declaration of cdktf's jest matchers (test/matchers.d.ts, no runtime code) is switched with them.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.js'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && /^(lib|constructs|bin|lambda|test|bench|scripts|examples)\//.test(f) && fs.existsSync(path.join(root, f)))
  // Consumer-side scripts run against the published package as users do (cdktf by name).
  .filter((f) => !['scripts/check-dist.js', 'test/python/typescript_stacks.js', 'test/cdk-flavour.test.ts'].includes(f));

function importers(pattern: RegExp): string[] {
  return sources.filter((f) => pattern.test(fs.readFileSync(path.join(root, f), 'utf8'))).sort();
}

test('only lib/private/cdk.ts imports cdktf (and the type declaration of its jest matchers)', () => {
  expect(importers(/(from\s+|require\(\s*|import\(\s*|import\s+)['`](cdktf|cdktn)(\/[^'`]*)?['`]/)).toEqual(['lib/private/cdk.ts', 'test/matchers.d.ts']);
});

test('only constructs/aws.ts imports the AWS provider bindings', () => {
  expect(importers(/(from\s+|require\(\s*|import\(\s*|import\s+)['`]@(cdktf|cdktn)\/provider-aws(\/[^'`]*)?['`]/)).toEqual(['constructs/aws.ts']);
});

test('the guard sees the sources (it cannot pass on an empty tree)', () => {
  expect(sources.length).toBeGreaterThan(50);
  expect(sources).toContain('constructs/agent-iam-stack.ts');
});
