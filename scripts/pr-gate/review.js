#!/usr/bin/env node
'use strict';
/**
 * The PR gate: judges a pull request's synthesized agent identities with TRUSTED code only.
 *
 *   node scripts/pr-gate/review.js --trusted <base checkout> --base <base synth> --head <head synth>
 *                                  --out <comment.md> [--cli <agent-iam launcher>] [--allow-first-adoption]
 *
 * The head of a pull request is data, never code: this script runs the agent-iam CLI of the BASE
 * checkout (`--trusted`, the branch the PR merges into, after `npm ci` there), or an explicit
 * `--cli` installed from the registry at a version pinned in the workflow. It never resolves
 * anything from the head, so a PR that edits bin/cli/diff.ts, package.json's "bin" or the lock file
 * to hide a widening is still judged by the unedited CLI.
 *
 * Where the CLI is found in the trusted checkout, in order:
 *   1. node_modules/cdktf-agent-iam (a project that depends on this library), its package.json "bin";
 *   2. the checkout itself when it IS cdktf-agent-iam (this repository), its package.json "bin".
 * Either flavour judges: cdktf-agent-iam (CDK for Terraform) or cdktf-agent-iam-cdktn (CDK Terrain,
 * the same sources and CLI: scripts/cdktn/flavour.js), whichever the base depends on or is.
 * None found is "first adoption": nothing trusted can judge the PR, the comment says so and the
 * gate fails closed unless --allow-first-adoption is given (the workflow passes it only when a
 * maintainer has put the first-adoption label on the PR).
 *
 * Fails closed too when the head did not synthesize, when the base did not synthesize (no
 * trusted baseline; the same maintainer label allows it), or when the CLI could not read either
 * side. Writes the PR comment (Markdown, starting with MARKER) to --out and one verdict line to
 * stdout. Exit codes: 0 the gate passes, 1 it fails, 2 bad usage (no comment written).
 *
 * Plain Node (>= 20), no dependencies and no build step, so it runs straight from a checkout.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');

/** The hidden marker the comment job finds the previous comment by. */
const MARKER = '<!-- agent-iam-review -->';
/** The npm packages whose CLI judges: this library's two flavours (cdktf, and CDK Terrain's scripts/cdktn/flavour.js). */
const PACKAGES = ['cdktf-agent-iam', 'cdktf-agent-iam-cdktn'];
/** The CLI's command name in that package's "bin". */
const COMMAND = 'agent-iam';
/** The label a maintainer puts on the PR to let it pass without a trusted judge. */
const FIRST_ADOPTION_LABEL = 'agent-iam:first-adoption';

const USAGE = 'usage: review.js --trusted <base checkout> --base <base synth> --head <head synth> --out <comment.md> [--cli <agent-iam launcher>] [--allow-first-adoption]';

class UsageError extends Error {}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The launcher a package.json of cdktf-agent-iam (either flavour) names for `agent-iam` (if the file is there), the package and its version. */
function binOf(packageDir) {
  const manifest = readJson(path.join(packageDir, 'package.json'));
  if (!manifest || !PACKAGES.includes(manifest.name)) return undefined;
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin && manifest.bin[COMMAND];
  if (typeof bin !== 'string') return undefined;
  const file = path.resolve(packageDir, bin);
  // The bin must stay inside its package (a "bin" of ../../x is not the package's CLI).
  if (!file.startsWith(path.resolve(packageDir) + path.sep) || !fs.existsSync(file)) return undefined;
  return { file, name: manifest.name, version: String(manifest.version || 'unknown') };
}

/** The version in the nearest package.json of cdktf-agent-iam (either flavour) above a file. */
function versionAbove(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = readJson(path.join(dir, 'package.json'));
    if (manifest && PACKAGES.includes(manifest.name)) return String(manifest.version || 'unknown');
    if (path.dirname(dir) === dir) return 'unknown version';
  }
}

/**
 * The trusted CLI: `--cli` when given, else the one in the trusted checkout (see the header).
 * @returns {{ file: string, version: string, origin: string } | undefined}
 */
function trustedCli(trusted, explicit) {
  if (explicit) {
    const file = path.resolve(explicit);
    if (!fs.existsSync(file)) throw new UsageError(`--cli ${explicit}: no such file`);
    return { file, version: versionAbove(file), origin: `the pinned CLI ${explicit}` };
  }
  for (const name of PACKAGES) {
    const dependency = binOf(path.join(trusted, 'node_modules', name));
    if (dependency) return { file: dependency.file, version: dependency.version, origin: `the base's ${dependency.name} dependency` };
  }
  const self = binOf(trusted);
  if (self) return { file: self.file, version: self.version, origin: `the base checkout of ${self.name}` };
  return undefined;
}

/** Whether a synth output is there to read (a folder with something in it, or a file). */
function present(target) {
  if (!target || !fs.existsSync(target)) return false;
  const stat = fs.statSync(target);
  return stat.isFile() ? stat.size > 0 : fs.readdirSync(target).length > 0;
}

/** Runs the trusted CLI; returns its exit code (2 when it could not run) and output. */
function runCli(cli, cwd, args) {
  const r = spawnSync(process.execPath, [cli.file, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, CI: 'true' },
  });
  const code = typeof r.status === 'number' ? r.status : 2;
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : '';
  return { code, out: r.stdout || '', err: `${r.stderr || ''}${why}`.trim() };
}

/** The CLI's one-line error as inline Markdown code. */
function quoted(text) {
  const line = text.split('\n').filter((l) => l.trim() !== '').slice(-3).join(' ').slice(0, 600);
  return `\`${line.replace(/`/g, "'") || 'no output'}\``;
}

/**
 * Judges one pull request. Pure apart from running the trusted CLI; returns the comment and the
 * verdict instead of writing them, so tests can call it directly.
 * @returns {{ pass: boolean, reasons: string[], comment: string }}
 */
function review(opts) {
  const trusted = path.resolve(opts.trusted);
  if (!fs.existsSync(trusted) || !fs.statSync(trusted).isDirectory()) throw new UsageError(`--trusted ${opts.trusted}: not a directory`);
  const cli = trustedCli(trusted, opts.cli);
  const sections = [];
  const reasons = [];
  const unjudged = [];

  if (!cli) {
    unjudged.push('first adoption');
    sections.push('### agent-iam: first adoption', '',
      `The base of this pull request has no agent-iam CLI (${PACKAGES.map((name) => `\`${name}\``).join(' or ')} is neither its dependency nor the checkout itself), `
      + 'so **no trusted code judged this pull request**. The CLI the pull request brings is not run: a pull request '
      + 'cannot judge itself.', '',
      opts.allowFirstAdoption
        ? `A maintainer allowed it with the \`${FIRST_ADOPTION_LABEL}\` label. Once merged, later pull requests are judged by this CLI from the base branch; remove the label.`
        : `The check fails until a maintainer reviews the pull request by hand and adds the \`${FIRST_ADOPTION_LABEL}\` label.`,
      '');
  } else if (!present(opts.head)) {
    reasons.push('the head did not synthesize');
    sections.push('### agent-iam', '', 'The head of this pull request did not synthesize, so there is nothing to judge. See the head job\'s log.', '');
  } else {
    sections.push(`_Judged by the agent-iam CLI of ${cli.origin} (${cli.version}), never the pull request's own._`, '');

    const assess = runCli(cli, trusted, ['assess', path.resolve(opts.head), '--format', 'markdown']);
    if (assess.code === 0) sections.push(assess.out.trim(), '');
    else if (assess.code === 1) {
      reasons.push('a stack is below its stage');
      sections.push(assess.out.trim(), '');
    } else {
      reasons.push('assess could not read the head');
      sections.push('### agent-iam assess', '', `Could not read the head: ${quoted(assess.err)}`, '');
    }

    if (!present(opts.base)) {
      unjudged.push('no baseline');
      sections.push('### agent-iam diff', '',
        'The base did not synthesize, so **no trusted baseline** exists to compare the head against and widening cannot be judged.', '',
        opts.allowFirstAdoption
          ? `A maintainer allowed it with the \`${FIRST_ADOPTION_LABEL}\` label.`
          : `The check fails until the base synthesizes again, or a maintainer reviews the pull request by hand and adds the \`${FIRST_ADOPTION_LABEL}\` label.`,
        '');
    } else {
      const diff = runCli(cli, trusted, ['diff', path.resolve(opts.base), path.resolve(opts.head), '--format', 'markdown']);
      if (diff.code === 0) sections.push(diff.out.trim(), '');
      else if (diff.code === 1) {
        reasons.push('a change widens what an agent can do');
        sections.push(diff.out.trim(), '');
      } else {
        reasons.push('diff could not compare base and head');
        sections.push('### agent-iam diff', '', `Could not compare: ${quoted(diff.err)}`, '');
      }
    }
  }
  if (!opts.allowFirstAdoption) reasons.push(...unjudged.map((u) => (u === 'first adoption' ? 'first adoption: the base has no agent-iam CLI' : 'the base did not synthesize')));

  const pass = reasons.length === 0;
  const verdict = pass
    ? (unjudged.length > 0 ? `passes without a trusted judgement (${unjudged.join(', ')}), allowed by the ${FIRST_ADOPTION_LABEL} label` : 'passes')
    : `fails: ${reasons.join('; ')}`;
  const sha = opts.headSha ? ` on ${String(opts.headSha).slice(0, 7)}` : '';
  const comment = [MARKER, ...sections, `_agent-iam gate${sha}: ${verdict}. Updated in place on every push._`, ''].join('\n');
  return { pass, reasons, verdict, comment };
}

function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        trusted: { type: 'string' },
        base: { type: 'string' },
        head: { type: 'string' },
        out: { type: 'string' },
        cli: { type: 'string' },
        'head-sha': { type: 'string' },
        'allow-first-adoption': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
    for (const required of ['trusted', 'base', 'head', 'out']) if (!values[required]) throw new UsageError(`--${required} is required`);
    const result = review({
      trusted: values.trusted,
      base: values.base,
      head: values.head,
      cli: values.cli,
      headSha: values['head-sha'],
      allowFirstAdoption: values['allow-first-adoption'],
    });
    fs.writeFileSync(values.out, result.comment);
    process.stdout.write(`agent-iam gate ${result.verdict}\n`);
    return result.pass ? 0 : 1;
  } catch (e) {
    process.stderr.write(`review.js: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
}

module.exports = { review, trustedCli, MARKER, FIRST_ADOPTION_LABEL };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
