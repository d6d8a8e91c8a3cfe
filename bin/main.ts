/**
 * The cdktf app: synthesizes the built-in example fleet into cdktf.out/ and
 * prints, per stack, its stage, agents, resource count and Terraform JSON path.
 * Run by `npm start` directly, or by `npx cdktf synth` through cdktf.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from '../lib/private/cdk';
import { ControlCatalog } from '../lib/maturity';
import { buildExampleApp } from './fleet';

function countResources(file: string): number {
  const tf = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Object.values(tf.resource ?? {}).reduce((n: number, byName: any) => n + Object.keys(byName).length, 0);
}

function main(): void {
  const app = new App();
  const stacks = buildExampleApp(app);
  try {
    app.synth();
  } catch (e) {
    process.stderr.write(`synth failed:\n${(e as Error).message}\n`);
    process.exit(1);
  }
  const outdir = app.outdir;
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  for (const stack of stacks) {
    const entry = manifest.stacks[stack.node.id];
    const file = path.join(outdir, entry.synthesizedStackPath);
    const rel = path.relative(process.cwd(), file);
    process.stdout.write(`stack ${stack.environment}: stage ${stack.stage} (${ControlCatalog.stageName(stack.stage)}), region ${stack.region}\n`);
    process.stdout.write(`  agents (${stack.agents.length}): ${stack.agents.map((a) => `${a.agentName} -> ${a.roleName}`).join(', ')}\n`);
    process.stdout.write(`  resources: ${countResources(file)}\n`);
    process.stdout.write(`  terraform: ${rel}\n`);
    // Synth warnings (stable ids in brackets) are printed, not only written to the manifest.
    for (const c of stack.node.findAll()) {
      for (const m of c.node.metadata) if (m.type === '@cdktf/warn') process.stdout.write(`  warning: ${m.data}\n`);
    }
  }
}

main();
