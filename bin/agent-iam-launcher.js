#!/usr/bin/env node
'use strict';
/**
 * Launcher of the agent-iam CLI (the package's "bin"). In a checkout of the repository, where the
 * TypeScript sources and ts-node are present, it runs bin/agent-iam.ts directly, so
 * `npx agent-iam` works right after `npm ci` with no build. In the published package (no ts-node)
 * it runs the compiled CLI, dist/bin/agent-iam.js.
 */
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const source = path.join(__dirname, 'agent-iam.ts');
const compiled = path.join(root, 'dist', 'bin', 'agent-iam.js');

function resolvable(id) {
  try {
    require.resolve(id, { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

let cli;
if (fs.existsSync(source) && resolvable('ts-node')) {
  require(require.resolve('ts-node', { paths: [root] })).register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
  cli = require(source);
} else if (fs.existsSync(compiled)) {
  cli = require(compiled);
} else {
  process.stderr.write('agent-iam: the CLI is not built (dist/bin/agent-iam.js is missing); run the build:cli script\n');
  process.exit(2);
}
cli.main();
