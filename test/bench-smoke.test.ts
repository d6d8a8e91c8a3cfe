/**
 * The benchmarks' own plumbing, at a tiny size (never a timing: performance is measured by
 * `npm run bench` on compiled code). The tighten benchmark bundles `agent-iam tighten`'s library
 * with esbuild; a dependency that cannot be bundled (as @cdktn/hcl2json once broke it) must fail
 * here, not an hour into `npm run bench`.
 */
import { tightenBench } from '../bench/tighten';

test('the tighten benchmark bundles, runs and reports on 2,000 records', async () => {
  const section = await tightenBench(2000);
  expect(section).toMatch(/2,000/);
  expect(section).toMatch(/records\/s|records per second/);
}, 240_000);
