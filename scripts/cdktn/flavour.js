// Turns this repository's package.json into the CDK Terrain flavour's (cdktf-agent-iam-cdktn):
// cdktf -> cdktn, @cdktf/provider-aws -> @cdktn/provider-aws, constructs within cdktn's range,
// Node >= 22.11 (cdktn's own floor), no cdktf-cli (its CDK Terrain twin peers on jsii 5.9).
// Run: node scripts/cdktn/flavour.js <package.json>   (prints the flavour's package.json)
'use strict';
const fs = require('fs');

const CDKTN = '0.24.0';
const PROVIDER = '25.7.0';
const CONSTRUCTS = '10.7.2';

const pkg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
pkg.name = 'cdktf-agent-iam-cdktn';
pkg.description = `${pkg.description} CDK Terrain (cdktn) flavour.`;
pkg.engines = { node: '>= 22.11.0' };
pkg.peerDependencies = { '@cdktn/provider-aws': `^${PROVIDER}`, cdktn: `^${CDKTN}`, constructs: '>=10.6.0 <10.8.0' };
const dev = { ...pkg.devDependencies };
for (const name of ['cdktf', '@cdktf/provider-aws', 'cdktf-cli']) delete dev[name];
Object.assign(dev, { cdktn: CDKTN, '@cdktn/provider-aws': PROVIDER, constructs: CONSTRUCTS });
pkg.devDependencies = Object.fromEntries(Object.entries(dev).sort(([a], [b]) => a.localeCompare(b)));
if (pkg.jsii?.targets?.python) pkg.jsii.targets.python = { distName: 'cdktf-agent-iam-cdktn', module: 'cdktf_agent_iam_cdktn' };
process.stdout.write(`${JSON.stringify(pkg, null, 2)}\n`);
