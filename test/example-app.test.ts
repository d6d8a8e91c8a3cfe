/**
 * The built-in example fleet (what `npm start` synthesizes).
 */
import { App, Testing } from '../lib/private/cdk';
import { IamRole, Cloudtrail } from '../constructs/aws';
import { buildExampleApp } from '../bin/fleet';
import { MaturityStage } from '../lib/maturity';

test('the dev stack holds one role per agent, at the Foundation stage, with the audit trail', () => {
  const [dev] = buildExampleApp(Testing.app() as App);
  expect(dev.environment).toBe('dev');
  expect(dev.stage).toBe(MaturityStage.FOUNDATION);
  const out = Testing.synth(dev, true);
  for (const name of ['support-triage', 'research', 'release']) {
    expect(out).toHaveResourceWithProperties(IamRole, { name: `agent-${name}-dev`, path: '/agents/dev/', permissions_boundary: '${aws_iam_policy.boundary.arn}' });
  }
  expect(out).toHaveResourceWithProperties(Cloudtrail, { is_multi_region_trail: true });
  const tf = JSON.parse(out);
  expect(tf.terraform.backend.local).toEqual({ path: 'terraform.dev.tfstate' });
  expect(tf.output.agent_role_arns.value).toEqual(expect.objectContaining({ research: expect.stringMatching(/aws_iam_role/) }));
});

test('the S3 backend with a lock file is used when the README\'s variables are set', () => {
  process.env.AGENT_IAM_STATE_BUCKET = 'tf-state-bucket';
  try {
    const [dev] = buildExampleApp(Testing.app() as App);
    const tf = JSON.parse(Testing.synth(dev, true));
    expect(tf.terraform.backend.s3).toEqual(expect.objectContaining({ bucket: 'tf-state-bucket', key: 'cdktf-agent-iam/dev/terraform.tfstate', encrypt: true, use_lockfile: true }));
  } finally {
    delete process.env.AGENT_IAM_STATE_BUCKET;
  }
});
