/**
 * Part of `npm run build`: bundles each Lambda handler (lambda/<name>/index.ts)
 * with esbuild into dist/lambda/<name>/bundle.js, so that the published
 * package needs no bundler at synth time. Same options, same bytes as the
 * in-repository synth path (constructs/lambda-bundle.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { bundleEntry, PREBUILT_BUNDLE } from '../constructs/lambda-bundle';

const root = path.join(__dirname, '..');
for (const name of fs.readdirSync(path.join(root, 'lambda'))) {
  const entry = path.join(root, 'lambda', name, 'index.ts');
  if (!fs.existsSync(entry)) continue;
  const outDir = path.join(root, 'dist', 'lambda', name);
  fs.mkdirSync(outDir, { recursive: true });
  const code = bundleEntry(entry);
  fs.writeFileSync(path.join(outDir, PREBUILT_BUNDLE), code);
  process.stdout.write(`bundled lambda/${name} -> dist/lambda/${name}/${PREBUILT_BUNDLE} (${code.length} bytes)\n`);
}
