/**
 * The boundary to Terraform: every string the library writes reaches Terraform
 * as the literal it means, and every identifier it derives is one AWS accepts.
 * Checked over every example stack (what `npm start` writes) and over stacks
 * built from hostile user text. `npm run validate:tf` proves the same with the
 * real provider (test/engine.test.ts).
 */
import { App, Testing } from '../lib/private/cdk';
import { Construct } from 'constructs';
import { IamRole, LambdaPermission } from '../constructs/aws';
import { AgentIdentity } from '../constructs/agent-identity';
import { buildExampleApp } from '../bin/fleet';
import { Grant } from '../lib/grant';
import { stackIdentifierProblems, identifierProblems, lambdaStatementId } from '../lib/aws-identifiers';
import { dynamoDbDataEventTable, s3ObjectDataEventPrefix } from '../lib/data-events';
import { MaturityStage } from '../lib/maturity';
import { escapeTemplateSequences, readTemplateString, templateParts, unescapedTemplateProblem } from '../lib/terraform-literal';
import { agentProps, errorOf, newStack, synthJson } from './support/stacks';

/** Every string of a JSON value, with its path. */
function strings(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

/** The addresses a stack defines, for checking that every reference points at one. */
function addresses(tf: any): Set<string> {
  const out = new Set<string>();
  for (const [type, byName] of Object.entries<any>(tf.resource ?? {})) for (const name of Object.keys(byName)) out.add(`${type}.${name}`);
  for (const [type, byName] of Object.entries<any>(tf.data ?? {})) for (const name of Object.keys(byName)) out.add(`data.${type}.${name}`);
  return out;
}

/** Problems of a synthesized stack: unescaped template sequences and references to nothing. */
function templateProblems(tf: any): string[] {
  const known = addresses(tf);
  const problems: string[] = [];
  for (const [where, s] of strings(tf)) {
    const p = unescapedTemplateProblem(s);
    if (p) problems.push(`${where}: ${p}`);
    for (const part of templateParts(s)) {
      if (part.kind !== 'interpolation') continue;
      const ref = /(?:^|\()((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)/.exec(part.text);
      if (ref && !known.has(ref[1])) problems.push(`${where}: \${${part.text}} refers to ${ref[1]}, which the stack does not define`);
    }
  }
  return problems;
}

const examples = buildExampleApp(Testing.app() as App).map((stack) => ({ name: stack.environment, tf: JSON.parse(Testing.synth(stack, true)) }));

describe('template sequences', () => {
  test('an IAM policy variable is escaped, a cdktf token is not', () => {
    expect(escapeTemplateSequences('home/${aws:PrincipalTag/on-behalf-of}/${TfToken[TOKEN.12]}/%{x}'))
      .toBe('home/$${aws:PrincipalTag/on-behalf-of}/${TfToken[TOKEN.12]}/%%{x}');
  });

  test('escaped text reads back as the original', () => {
    for (const s of ['a${b}c', '%{ if x }', '$${already}', 'cost: $5 {approx}', '${', '$$${x}', '']) {
      const escaped = escapeTemplateSequences(s);
      expect(unescapedTemplateProblem(escaped)).toBeUndefined();
      expect(readTemplateString(escaped)).toBe(s);
    }
  });

  test('a literal that Terraform would interpolate is named', () => {
    expect(unescapedTemplateProblem('arn:aws:s3:::b/${aws:PrincipalTag/on-behalf-of}/')).toMatch(/is not a Terraform reference; a literal "\$\{" must be written "\$\$\{"/);
    expect(unescapedTemplateProblem('%{ if true }x%{ endif }')).toMatch(/template directive/);
    expect(unescapedTemplateProblem('${aws_iam_role.agent_a.arn}')).toBeUndefined();
    expect(unescapedTemplateProblem('${data.aws_caller_identity.current.account_id}')).toBeUndefined();
  });
});

describe.each(examples)('the $name example stack', ({ tf }) => {
  test('every string is a literal or a reference to something the stack defines', () => {
    expect(templateProblems(tf)).toEqual([]);
  });

  test('every identifier matches what AWS and the provider accept', () => {
    expect(stackIdentifierProblems(tf)).toEqual([]);
  });
});

describe('strings users write', () => {
  const condition = 'reports/${aws:PrincipalTag/team}/%{ if x }*';

  test('grant resources and condition values with template sequences reach IAM verbatim (stages 2 and 3)', () => {
    for (const stage of [MaturityStage.FOUNDATION, MaturityStage.ENHANCED]) {
      const stack = newStack({ stage, environment: 'dev' });
      stack.addAgent(agentProps({
        expiresAt: '2027-06-30',
        permissions: [Grant.allow({
          actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::corpus'],
          conditions: [{ test: 'StringLike', variable: 's3:prefix', values: [condition] }],
        }), Grant.readS3Prefix('arn:aws:s3:::corpus', 'home/${aws:username}')],
      }));
      const tf = synthJson(stack);
      expect(templateProblems(tf)).toEqual([]);
      const literal = strings(tf).map(([, s]) => readTemplateString(s));
      expect(literal.some((s) => s.includes(JSON.stringify(condition)))).toBe(true);
      expect(literal.some((s) => s.includes('arn:aws:s3:::corpus/home/${aws:username}/*'))).toBe(true);
    }
  });

  test('an agent created directly (not through addAgent), even under a user construct, is escaped too', () => {
    const stack = newStack({ stage: MaturityStage.ENHANCED });
    const team = new Construct(stack, 'research-team');
    new AgentIdentity(team, 'direct', agentProps({ name: 'direct', expiresAt: '2027-06-30', permissions: [Grant.readS3Prefix('arn:aws:s3:::corpus', 'home/${aws:username}')] }));
    const tf = synthJson(stack);
    expect(templateProblems(tf)).toEqual([]);
    expect(strings(tf).map(([, s]) => readTemplateString(s)).some((s) => s.includes('arn:aws:s3:::corpus/home/${aws:username}/*'))).toBe(true);
  });

  test('text a user escaped by hand is refused with the fix, never escaped twice', () => {
    expect(errorOf(() => {
      const stack = newStack();
      stack.addAgent(agentProps({ permissions: [Grant.readS3Prefix('arn:aws:s3:::corpus', 'home/$${aws:username}')] }));
      synthJson(stack);
    })).toMatch(/agent "triage": permissions\[0\]\.statements\[0\]\.resources: "arn:aws:s3:::corpus\/home\/\$\$\{aws:username\}\/\*" contains "\$\$\{", Terraform's escape; write "\$\{" as IAM reads it/);
  });

  test('a Terraform reference placed under a library construct stays a reference', () => {
    const stack = newStack();
    const agent = stack.addAgent(agentProps());
    new IamRole(agent, 'user-role', { name: 'user-role', assumeRolePolicy: '{}', forceDetachPolicies: agent.role.forceDetachPolicies, description: agent.role.name });
    const tf = synthJson(stack);
    const mine = Object.entries<any>(tf.resource.aws_iam_role).find(([k]) => k.includes('user-role'))![1];
    expect(mine.force_detach_policies).toMatch(/^\$\{aws_iam_role\.[^.]+\.force_detach_policies\}$/);
    expect(mine.description).toMatch(/^\$\{aws_iam_role\.[^.]+\.name\}$/);
  });

  test('resources a user adds to the stack keep their strings as written', () => {
    const stack = newStack();
    stack.addAgent(agentProps());
    new LambdaPermission(stack, 'user-permission', {
      statementId: 'user-defined', action: 'lambda:InvokeFunction', functionName: '${var.fn}', principal: 'events.amazonaws.com',
    });
    const tf = synthJson(stack);
    const mine = Object.values<any>(tf.resource.aws_lambda_permission)[0];
    expect(mine.function_name).toBe('${var.fn}');
  });
});

describe('identifiers', () => {
  test('a Lambda statement id derived from a catalog id has no dot', () => {
    expect(lambdaStatementId('detection-det-3.01')).toBe('detection-det-3-01');
    expect(identifierProblems('aws_lambda_permission', 'aws_lambda_permission.x', { statement_id: 'detection-det-3.01' })[0])
      .toMatch(/statement_id "detection-det-3.01" is not a valid AWS identifier: AWS allows 1-100 of A-Z a-z 0-9 _ -/);
  });

  test('names AWS refuses that a pattern of allowed characters alone would pass', () => {
    expect(identifierProblems('aws_cloudtrail', 't', { name: 'agent-iam-dev-' })[0]).toMatch(/ending with a letter or digit/);
    expect(identifierProblems('aws_cloudtrail', 't', { name: 'agent-iam-team--a' })[0]).toMatch(/no two of \. _ - adjacent/);
    expect(identifierProblems('aws_sns_topic', 't', { name: 'orders.fifo' })).toEqual([]);
    expect(identifierProblems('aws_sqs_queue', 'q', { name: `${'q'.repeat(75)}.fifo` })).toEqual([]);
    expect(identifierProblems('aws_sqs_queue', 'q', { name: `${'q'.repeat(80)}.fifo` })[0]).toMatch(/the .fifo suffix included/);
  });

  test('an environment name that would end or double a hyphen in the trail name is refused at synth', () => {
    for (const env of ['dev-', 'team--a']) {
      expect(errorOf(() => synthJson(newStack({ environment: env })))).toMatch(/environment: must be 1-16 lower-case letters, digits or single hyphens, starting with a letter and ending with a letter or digit/);
    }
  });

  test('a user resource with a bad name is told to rename it, not blamed on the library', () => {
    const stack = newStack();
    stack.addAgent(agentProps());
    new LambdaPermission(stack, 'mine', { statementId: 'a.b', action: 'lambda:InvokeFunction', functionName: 'fn', principal: 'events.amazonaws.com' });
    const message = errorOf(() => synthJson(stack));
    expect(message).toMatch(/statement_id "a.b" is not a valid AWS identifier.*; rename it/);
    expect(message).not.toMatch(/the library derives this name/);
  });

  test('a value Terraform computes is not judged', () => {
    expect(identifierProblems('aws_lambda_permission', 'x', { statement_id: '${aws_x.y.id}' })).toEqual([]);
  });

  test('a Sid IAM refuses is named with the policy attribute', () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'read-only', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }] });
    expect(identifierProblems('aws_iam_role_policy', 'aws_iam_role_policy.p', { name: 'p', policy })).toEqual([
      expect.stringMatching(/aws_iam_role_policy.p: policy has Sid "read-only"; IAM allows only A-Z a-z 0-9 in a Sid/),
    ]);
  });

  test('synth fails, with the stack, address and field named, on a resource whose identifier AWS refuses', () => {
    const stack = newStack();
    stack.addAgent(agentProps());
    new LambdaPermission(stack, 'dotted', {
      statementId: 'allow.events', action: 'lambda:InvokeFunction', functionName: 'fn', principal: 'events.amazonaws.com',
    });
    expect(errorOf(() => synthJson(stack))).toMatch(/stack "dev": identifier: aws_lambda_permission.dotted: statement_id "allow.events" is not a valid AWS identifier/);
  });
});

describe('data-event selectors', () => {
  test('CloudTrail prefixes stop before the first IAM policy variable or wildcard', () => {
    expect(s3ObjectDataEventPrefix('arn:aws:s3:::corpus/uploads/${aws:PrincipalTag/on-behalf-of}/*')).toBe('arn:aws:s3:::corpus/uploads/');
    expect(s3ObjectDataEventPrefix('arn:aws:s3:::corpus/reports/*')).toBe('arn:aws:s3:::corpus/reports/');
    expect(s3ObjectDataEventPrefix('arn:aws:s3:::corpus')).toBeUndefined();
    // A bucket named by a variable or wildcard: wider, never dropped.
    expect(s3ObjectDataEventPrefix('arn:aws:s3:::${aws:PrincipalTag/bucket}/*')).toBe('arn:aws:s3:::');
    expect(s3ObjectDataEventPrefix('arn:aws:s3:::corpus-*/reports/*')).toBe('arn:aws:s3:::corpus-');
    expect(dynamoDbDataEventTable('arn:aws:dynamodb:us-east-1:111122223333:table/tickets')).toBe('arn:aws:dynamodb:us-east-1:111122223333:table/tickets');
    expect(dynamoDbDataEventTable('arn:aws:dynamodb:us-east-1:111122223333:table/tickets/index/by-date')).toBeUndefined();
  });

  test('no example stack records data events with a variable in the selector', () => {
    for (const { tf } of examples) {
      for (const trail of Object.values<any>(tf.resource.aws_cloudtrail ?? {})) {
        for (const sel of trail.advanced_event_selector ?? []) {
          for (const f of sel.field_selector) for (const v of f.starts_with ?? []) expect(readTemplateString(v)).not.toMatch(/\$\{|\*/);
        }
      }
    }
  });
});
