/**
 * Layers point one way: lib/ is pure domain. It imports nothing from constructs/ (or any other
 * folder above it), and no CDK package (cdktf, CDK Terrain's cdktn, constructs, @cdktf/*,
 * @cdktn/*) except in lib/private/cdk.ts, the one module that imports cdktf, which only
 * lib/private/token.ts (the unresolved-token check) uses. Files stay small: none over 400 lines.
 *
 * Every .ts file under lib/ is read from disk (tracked or not), and its module specifiers are taken
 * by the TypeScript pre-processor (import, export ... from, import(), require()) and by a pattern
 * for template-literal requires, so a new file or a new way of importing is judged too.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.join(__dirname, '..');
const libDir = path.join(root, 'lib');
const MAX_LINES = 400;
/** The one module of lib/ that may import a CDK package, and the one module that may import it. */
const CDK_HELPER = 'lib/private/cdk.ts';
const TOKEN_HELPER = 'lib/private/token.ts';
/**
 * CDK packages. `@cdktn/hcl2json` is not one: it is CDK Terrain's HCL-to-JSON converter (a pure
 * parser, no construct), which lib/assess/hcl.ts uses to read `.tf` files.
 */
const CDK_PACKAGE = /^(cdktf|cdktn|constructs)(\/.*)?$|^@cdktf\/|^@cdktn\/(?!hcl2json(\/|$))/;

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return walk(full);
    return e.isFile() && e.name.endsWith('.ts') ? [full] : [];
  });
}

const files = walk(libDir).map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
const text = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** Module specifiers of a source file: static and dynamic imports, re-exports, require() (with any quote). */
function specifiers(file: string): string[] {
  const source = text(file);
  const found = ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
  for (const m of source.matchAll(/\b(?:require|import)\s*\(\s*`([^`$]*)`\s*\)/g)) found.push(m[1]);
  return [...new Set(found)];
}

/** Where a relative specifier of `file` points, relative to the repository root (`constructs/aws`). */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec)).split(path.sep).join('/');
}

function lineCount(file: string): number {
  const s = text(file);
  return s.length === 0 ? 0 : s.split('\n').length - (s.endsWith('\n') ? 1 : 0);
}

test(`no file in lib/ is over ${MAX_LINES} lines`, () => {
  const over = files.filter((f) => lineCount(f) > MAX_LINES).map((f) => `${f}: ${lineCount(f)} lines`);
  expect(over).toEqual([]);
});

test('lib/ imports nothing from constructs/, at any depth', () => {
  const upward = files.flatMap((f) => specifiers(f)
    .filter((s) => /^constructs(\/|$)/.test(target(f, s) ?? ''))
    .map((s) => `${f} imports '${s}'`));
  expect(upward).toEqual([]);
});

test('lib/ imports no module outside lib/ (no arrow leaves the domain layer)', () => {
  const leaving = files.flatMap((f) => specifiers(f)
    .filter((s) => { const t = target(f, s); return t !== undefined && !/^lib(\/|$)/.test(t); })
    .map((s) => `${f} imports '${s}'`));
  expect(leaving).toEqual([]);
});

test(`only ${CDK_HELPER} imports a CDK package (cdktf, cdktn, constructs, @cdktf/*, @cdktn/*)`, () => {
  const importers = files.filter((f) => specifiers(f).some((s) => CDK_PACKAGE.test(s)));
  expect(importers).toEqual([CDK_HELPER]);
});

test(`only ${TOKEN_HELPER} uses ${CDK_HELPER}, and it imports nothing else`, () => {
  const users = files.filter((f) => f !== CDK_HELPER && specifiers(f).some((s) => target(f, s) === CDK_HELPER.replace(/\.ts$/, '')));
  expect(users).toEqual([TOKEN_HELPER]);
  expect(specifiers(TOKEN_HELPER)).toEqual(['./cdk']);
});

test('the guard sees lib/ and reads imports (it cannot pass on an empty tree or a blind reader)', () => {
  expect(files.length).toBeGreaterThan(50);
  expect(files).toEqual(expect.arrayContaining([CDK_HELPER, TOKEN_HELPER, 'lib/detections/index.ts', 'lib/grant/grant.ts']));
  expect(specifiers(CDK_HELPER).filter((s) => CDK_PACKAGE.test(s))).not.toEqual([]);
  expect(specifiers('lib/grant/validate-grants.ts')).toEqual(expect.arrayContaining(['../private/token', './grant']));
  expect(target('lib/grant/grant.ts', '../../constructs/aws')).toBe('constructs/aws');
  expect(CDK_PACKAGE.test('@cdktf/provider-aws/lib/iam-role')).toBe(true);
  expect(CDK_PACKAGE.test('@cdktn/hcl2json')).toBe(false);
});
