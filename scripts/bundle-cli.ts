/**
 * Part of `npm run build`: bundles the agent-iam CLI (bin/agent-iam.ts) with esbuild into one file,
 * dist/bin/agent-iam.js, which the package's launcher (bin/agent-iam-launcher.js) runs.
 *
 * What package.json promises to install beside the package (dependencies, peerDependencies) stays
 * external; everything else the CLI reaches at run time is bundled in: above all the AWS SDK clients
 * of the kill switch, which are devDependencies, so a user of the package runs `agent-iam revoke`
 * without installing anything by hand. The build fails if the bundle still requires a package that
 * a consumer would not have.
 */
import * as fs from 'fs';
import * as path from 'path';
import { builtinModules } from 'module';
import { buildSync } from 'esbuild';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const installed = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const outfile = path.join(root, 'dist', 'bin', 'agent-iam.js');

const result = buildSync({
  entryPoints: [path.join(root, 'bin', 'agent-iam.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // `pkg/*` keeps deep imports (for example @cdktf/provider-aws/lib/...) external too.
  external: installed.flatMap((name) => [name, `${name}/*`]),
  metafile: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exit(1);

// Every require left in the bundle must be a Node built-in or a package the consumer gets installed.
const packageOf = (id: string): string => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);
const left = new Set<string>();
for (const output of Object.values(result.metafile!.outputs)) {
  for (const imp of output.imports) if (imp.external) left.add(imp.path);
}
const missing = [...left].filter((id) => {
  const bare = id.replace(/^node:/, '');
  return !builtinModules.includes(bare) && !builtinModules.includes(bare.split('/')[0]) && !installed.includes(packageOf(id));
});
if (missing.length > 0) {
  process.stderr.write(`bundle-cli: the CLI bundle requires ${missing.join(', ')}, which a user of the package would not have installed; add them to dependencies or let esbuild bundle them\n`);
  process.exit(1);
}
const bytes = fs.statSync(outfile).size;
process.stdout.write(`bundled bin/agent-iam.ts -> dist/bin/agent-iam.js (${bytes} bytes; external: ${[...left].filter((id) => installed.includes(packageOf(id))).map(packageOf).filter((v, i, a) => a.indexOf(v) === i).join(', ')})\n`);
