/**
 * Every kind of bad input fails synth with a message that names the agent,
 * the field and the fix.
 */
import { Testing } from '../lib/private/cdk';
import { Grant } from '../lib/grant';
import { MaturityStage } from '../lib/maturity';
import { agentProps, errorOf, newStack, ORCHESTRATOR, synthError } from './support/stacks';

const TABLE = 'arn:aws:dynamodb:us-east-1:111122223333:table/tickets';

describe('a valid agent', () => {
  test('synthesizes without error (the baseline the cases below depart from)', () => {
    expect(synthError({ permissions: [Grant.readDynamoItems(TABLE)] })).toBe('');
  });
});

describe('agent name', () => {
  test('an empty name is rejected', () => {
    expect(synthError({ name: '' })).toMatch(/agent "<unnamed>": name: is empty; give the agent a short lower-case name/);
  });
  test('a name with upper case or underscores is rejected with the allowed characters', () => {
    expect(synthError({ name: 'Support_Triage' })).toMatch(/agent "Support_Triage": name: must be lower-case letters, digits and hyphens/);
  });
  test('a name whose role name passes 64 characters is rejected with the length to shorten to', () => {
    const name = 'a'.repeat(60);
    const msg = synthError({ name });
    expect(msg).toContain(`agent "${name}": name: role name "agent-${name}-dev" is 70 characters; IAM allows 64. Shorten the agent name to at most 54 characters`);
  });
  test('two agents with one name in a stack are rejected', () => {
    const msg = errorOf(() => {
      const stack = newStack();
      stack.addAgent(agentProps({ name: 'twin' }));
      // A second construct id, same agent name.
      const { AgentIdentity } = require('../constructs/agent-identity');
      new AgentIdentity(stack, 'twin-again', agentProps({ name: 'twin' }));
      Testing.synth(stack, true);
    });
    expect(msg).toContain('stack "dev": agents: agent "twin" is declared 2 times; agent names must be unique in an environment');
  });
});

describe('owner and purpose', () => {
  test('a missing owner is rejected', () => {
    expect(synthError({ owner: '' })).toMatch(/agent "triage": owner: is required; name the accountable human or team/);
  });
  test('a missing purpose is rejected', () => {
    expect(synthError({ purpose: undefined as any })).toMatch(/agent "triage": purpose: is required; say in one sentence what the agent does/);
  });
  test('a purpose with characters IAM rejects in tags is rejected', () => {
    expect(synthError({ purpose: 'reads tickets, drafts replies' })).toMatch(/agent "triage": tags\["agent:purpose"\]: value "reads tickets, drafts replies" has characters IAM rejects/);
  });
});

describe('actions', () => {
  test('an unknown action is rejected with the nearest existing name', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['s3:GetObjekt'], resources: ['arn:aws:s3:::b/*'] })] });
    expect(msg).toContain('agent "triage": permissions[0].actions: action "s3:GetObjekt" does not exist; did you mean "s3:GetObject"?');
  });
  test('an unknown service is rejected with the nearest service', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamdb:GetItem'], resources: [TABLE] })] });
    expect(msg).toContain('service "dynamdb" of "dynamdb:GetItem" does not exist; did you mean "dynamodb:GetItem"?');
  });
  test('"*" without acknowledgement is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['*'], resources: ['*'] })] });
    expect(msg).toContain('agent "triage": permissions[0].actions: "*" grants every action of every service, including those AWS adds later; name the actions the agent needs, or set wildcardReason to acknowledge it');
  });
  test('"service:*" without acknowledgement is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['s3:*'], resources: ['arn:aws:s3:::b/*'] })] });
    expect(msg).toContain('permissions[0].actions: "s3:*" grants every action of s3');
  });
  test('"service:*" with an acknowledged reason is accepted', () => {
    expect(synthError({ permissions: [Grant.allow({ actions: ['s3:*'], resources: ['arn:aws:s3:::scratch-b/*'], wildcardReason: 'throw-away scratch bucket owned by the agent' })] })).toBe('');
  });
  test('a pattern that matches no action is rejected', () => {
    expect(synthError({ permissions: [Grant.allow({ actions: ['s3:Frobnicate*'], resources: ['arn:aws:s3:::b/*'] })] }))
      .toContain('action "s3:Frobnicate*" does not exist');
  });
});

describe('resources', () => {
  test('"*" for an action that supports resource-level permissions is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: ['*'] })] });
    expect(msg).toContain('agent "triage": permissions[0].resources: "*" for "dynamodb:GetItem", which support resource-level permissions; name the resource ARNs');
  });
  test('"*" for an action AWS cannot scope is accepted', () => {
    expect(synthError({ permissions: [Grant.allow({ actions: ['s3:ListAllMyBuckets'], resources: ['*'] })] })).toBe('');
  });
  test('a malformed ARN is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: ['table/tickets'] })] });
    expect(msg).toContain('permissions[0].resources: "table/tickets" is not an ARN; expected arn:aws:<service>:<region>:<account>:<resource>');
  });
  test('an ARN in the wrong partition is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: ['arn:aws-cn:dynamodb:us-east-1:111122223333:table/t'] })] });
    expect(msg).toContain('is in partition "aws-cn" but this stack deploys to partition "aws"; use arn:aws:...');
  });
  test('an ARN of another service than the actions is rejected with the expected shape', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: ['arn:aws:s3:::bucket/key'] })] });
    expect(msg).toContain('"arn:aws:s3:::bucket/key" is not a resource of any action in this grant; expected for example');
  });
  test('an ARN with a malformed account is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:us-east-1:1234:table/t'] })] });
    expect(msg).toContain('has malformed account "1234"; expected 12 digits');
  });
  test('an unknown condition key is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::b'], conditions: [{ test: 'StringLike', variable: 's3:prefx', values: ['a/*'] }] })] });
    expect(msg).toContain('condition key "s3:prefx" does not exist globally or for s3');
  });
  test('an unknown condition operator is rejected', () => {
    const msg = synthError({ permissions: [Grant.allow({ actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::b'], conditions: [{ test: 'StringSorta', variable: 's3:prefix', values: ['a/*'] }] })] });
    expect(msg).toContain('operator "StringSorta" is not an IAM condition operator');
  });
});

describe('sessions', () => {
  test.each([900, 43201])('maxSessionDuration %i is rejected', (msd) => {
    expect(synthError({ maxSessionDuration: msd })).toContain(`agent "triage": maxSessionDuration: ${msd} s is outside what IAM accepts (3600-43200 s)`);
  });
  test('sessionTtl under 900 s is rejected', () => {
    expect(synthError({ sessionTtl: 300 })).toContain('agent "triage": sessionTtl: 300 s must be between 900 s (the shortest session STS issues) and maxSessionDuration (3600 s)');
  });
  test('sessionTtl over maxSessionDuration is rejected', () => {
    expect(synthError({ sessionTtl: 7200 })).toContain('sessionTtl: 7200 s must be between 900 s');
  });
  test('an expiry that is not an ISO date is rejected', () => {
    expect(synthError({ expiresAt: 'next tuesday' })).toContain('agent "triage": expiresAt: "next tuesday" is not an ISO 8601 date');
  });
});

describe('stage 4 responders', () => {
  test('a stage-4 stack without responders is rejected: nobody could restore or approve, and the tables could not say who may', () => {
    expect(errorOf(() => newStack({ stage: MaturityStage.ADAPTIVE, adaptive: {} })))
      .toContain('stack "dev": adaptive.responderRoleArns: is required at stage 4: name the roles of the people who may restore and approve agents (for example "arn:aws:iam::<account>:role/incident-responder")');
  });
  test('a stage-4 agent without onBehalfOf patterns is rejected unless the stack verifies people\'s tokens', () => {
    const open = { awsPrincipals: [ORCHESTRATOR] };
    const stage4 = { stage: MaturityStage.ADAPTIVE };
    const withTemplates = { expiresAt: '2030-01-01', delegation: open, sessionPolicies: [{ name: 'read', permissions: [Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:111122223333:table/t')] }], permissions: [Grant.readDynamoItems('arn:aws:dynamodb:us-east-1:111122223333:table/t')] };
    expect(synthError(withTemplates, stage4)).toContain('agent "triage": delegation.onBehalfOfPatterns: is required at stage 4 unless adaptive.delegationToken verifies people\'s tokens');
    const verified = { ...stage4, adaptive: { responderRoleArns: ['arn:aws:iam::111122223333:role/responder'], delegationToken: { issuer: 'https://login.example.com', audiences: ['agent-iam'], jwksUri: 'https://login.example.com/keys' } } };
    expect(synthError(withTemplates, verified)).not.toContain('onBehalfOfPatterns');
  });
  test('onBehalfOf patterns that let a caller name anyone, or no one, are rejected', () => {
    const msg = synthError({ delegation: { awsPrincipals: [ORCHESTRATOR], onBehalfOfPatterns: ['*', 'user:*'] } });
    expect(msg).toContain('agent "triage": delegation.onBehalfOfPatterns[0]: "*" lets a caller name anyone');
    expect(msg).toContain('delegation.onBehalfOfPatterns[1]: "user:*" can never match: ":" is not allowed in a source identity');
  });
  test('a delegation token provider must be https with exact audiences', () => {
    const msg = errorOf(() => newStack({ stage: MaturityStage.ADAPTIVE, adaptive: { responderRoleArns: ['arn:aws:iam::111122223333:role/responder'], delegationToken: { issuer: 'login.example.com', audiences: [], jwksUri: 'http://login.example.com/keys' } } }));
    expect(msg).toContain('stack "dev": adaptive.delegationToken: issuer: "login.example.com" must be the provider\'s https issuer URL');
    expect(msg).toContain('adaptive.delegationToken: audiences: give at least one exact aud value');
    expect(msg).toContain('adaptive.delegationToken: jwksUri: "http://login.example.com/keys" must be the provider\'s https JWKS URL');
  });
  test('a responder with a wildcard or that is not a role ARN is rejected', () => {
    const msg = errorOf(() => newStack({ stage: MaturityStage.ADAPTIVE, adaptive: { responderRoleArns: ['arn:aws:iam::111122223333:role/*', 'alice@example.com', 'arn:aws:iam::111122223333:user/bob'] } }));
    expect(msg).toContain('stack "dev": adaptive.responderRoleArns[0]: "arn:aws:iam::111122223333:role/*" has a wildcard');
    expect(msg).toContain('adaptive.responderRoleArns[1]: "alice@example.com" is not an IAM role ARN of partition aws');
    expect(msg).toContain('adaptive.responderRoleArns[2]: "arn:aws:iam::111122223333:user/bob" is not an IAM role ARN');
  });
});

describe('delegation', () => {
  test('a delegation with no principal is rejected', () => {
    expect(synthError({ delegation: {} })).toContain('agent "triage": delegation.: declares no principal, so nobody could assume the agent');
  });
  test('a "*" AWS principal is rejected', () => {
    expect(synthError({ delegation: { awsPrincipals: ['*'] } })).toContain('agent "triage": delegation.awsPrincipals[0]: "*" lets any principal assume the agent; name the role ARNs');
  });
  test('a wildcard inside a principal ARN is rejected', () => {
    expect(synthError({ delegation: { awsPrincipals: ['arn:aws:iam::111122223333:role/*'] } })).toContain('delegation.awsPrincipals[0]: "arn:aws:iam::111122223333:role/*" lets any principal assume the agent');
  });
  test('a "*" service principal is rejected', () => {
    expect(synthError({ delegation: { services: [{ service: '*' }] } })).toContain('delegation.services[0].service: "*" is a wildcard');
  });
  test('an OIDC delegation without a sub condition is rejected', () => {
    const msg = synthError({ delegation: { oidc: [{ providerArn: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com', subjects: [], audiences: ['sts.amazonaws.com'] }] } });
    expect(msg).toContain('agent "triage": delegation.oidc[0].subjects: is empty: without a sub condition any workload trusted by the IdP could assume the agent');
  });
  test('an OIDC subject of "*" is rejected', () => {
    const msg = synthError({ delegation: { oidc: [{ providerArn: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com', subjects: ['*'], audiences: ['sts.amazonaws.com'] }] } });
    expect(msg).toContain('delegation.oidc[0].subjects[0]: "*" matches every subject of the IdP');
  });
  test('a third party without a usable external id is rejected', () => {
    expect(synthError({ delegation: { thirdParties: [{ principal: 'arn:aws:iam::444455556666:role/vendor', externalId: 'x' }] } }))
      .toContain('delegation.thirdParties[0].externalId: must be 2-1224 characters');
  });
  const GITHUB = 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com';
  const EKS = 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123';
  const github = (subject: string) => ({ oidc: [{ providerArn: GITHUB, subjects: [subject], audiences: ['sts.amazonaws.com'] }] });
  const eks = (subject: string) => ({ oidc: [{ providerArn: EKS, subjects: [subject], audiences: ['sts.amazonaws.com'] }] });
  test.each(['repo:*', 'repo:*/agents:ref:refs/heads/main', 'repo:acme/*', 'repo:acme/agent?:*', 'repo:ac*me/agents:*', '*:ref:refs/heads/main', 'repo:acme:*'])(
    'a GitHub subject not anchored to one repository (%s) is rejected: any repository in the world could assume the agent', (subject) => {
      expect(synthError({ delegation: github(subject) })).toContain(`agent "triage": delegation.oidc[0].subjects[0]: "${subject}" is not anchored to one repository`);
    });
  test('GitHub subjects anchored to one repository pass, with wildcards after it', () => {
    for (const subject of ['repo:acme/agents:ref:refs/heads/main', 'repo:acme/agents:environment:prod', 'repo:acme/agents:*']) {
      expect(synthError({ delegation: github(subject) })).not.toContain('delegation.oidc');
    }
  });
  test.each(['system:serviceaccount:*', 'system:serviceaccount:agents:*', 'system:serviceaccount:*:triage', 'agents:triage'])(
    'an EKS subject that is not one service account (%s) is rejected', (subject) => {
      expect(synthError({ delegation: eks(subject) })).toContain(`delegation.oidc[0].subjects[0]: "${subject}" is not one Kubernetes service account`);
    });
  test('an account root of another account is rejected unless acknowledged with a reason', () => {
    expect(synthError({ delegation: { awsPrincipals: ['arn:aws:iam::444455556666:root'] } }))
      .toContain('agent "triage": delegation.awsPrincipals[0]: "arn:aws:iam::444455556666:root" is an account root: it trusts every role and user of account 444455556666');
    expect(synthError({ delegation: { awsPrincipals: ['444455556666'] } })).toContain('delegation.awsPrincipals[0]: "444455556666" is an account root');
    expect(synthError({ delegation: { thirdParties: [{ principal: 'arn:aws:iam::444455556666:root', externalId: 'vendor-4242' }] } }))
      .toContain('delegation.thirdParties[0].principal: "arn:aws:iam::444455556666:root" is an account root');
  });
  test('an acknowledged account root needs a reason, and across accounts an external id', () => {
    const root = 'arn:aws:iam::444455556666:root';
    expect(synthError({ delegation: { awsPrincipals: [root], accountRootAcknowledgements: [{ principal: root, reason: 'ok' }] } }))
      .toContain('delegation.accountRootAcknowledgements[0].reason: must say why trusting the whole account is acceptable');
    expect(synthError({ delegation: { awsPrincipals: [root], accountRootAcknowledgements: [{ principal: root, reason: 'the data team runs the agent from its own account' }] } }))
      .toContain('delegation.awsPrincipals[0]: "arn:aws:iam::444455556666:root" is the root of an account that may not be this stack\'s; its acknowledgement must carry an externalId');
    expect(synthError({ delegation: { awsPrincipals: [root], accountRootAcknowledgements: [{ principal: root, reason: 'the data team runs the agent from its own account', externalId: 'data-team-7781' }] } }))
      .not.toContain('delegation');
    expect(synthError({ delegation: { awsPrincipals: [ORCHESTRATOR], accountRootAcknowledgements: [{ principal: root, reason: 'a stale acknowledgement here' }] } }))
      .toContain('delegation.accountRootAcknowledgements[0].principal: "arn:aws:iam::444455556666:root" is not an account-root principal declared');
  });
  test.each([
    ['user:*', '":" is not allowed in a source identity'],
    ['user/alice', '"/" is not allowed in a source identity'],
    ['a', 'it matches only 1-character values, under the 2 STS requires'],
    ['x'.repeat(65), 'its shortest match is 65 characters, over the 64 STS allows'],
  ])('a sourceIdentityPattern no valid source identity can match (%s) is rejected', (pattern, why) => {
    expect(synthError({ delegation: { awsPrincipals: [ORCHESTRATOR], sourceIdentityPattern: pattern } }))
      .toContain(`agent "triage": delegation.sourceIdentityPattern: "${pattern}" can never match: ${why}. STS accepts source identities of 2-64 letters, digits and _+=,.@- characters`);
  });
  test('source identity patterns that valid identities match pass', () => {
    for (const pattern of ['user-*', '*@example.com', '?*', 'svc.*']) {
      expect(synthError({ delegation: { awsPrincipals: [ORCHESTRATOR], sourceIdentityPattern: pattern } })).toBe('');
    }
  });
  test('a trust policy over 2,048 characters is rejected', () => {
    const many = Array.from({ length: 40 }, (_, i) => `arn:aws:iam::111122223333:role/orchestrator-with-a-long-name-${i}`);
    expect(synthError({ delegation: { awsPrincipals: many } })).toMatch(/agent "triage": delegation: the trust policy written on the role \(the declared principals\) is \d+ characters as IAM counts them; IAM allows 2048/);
  });
});

describe('tags', () => {
  test('more than 50 tags are rejected', () => {
    const tags = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`team:tag-${i}`, 'x']));
    expect(synthError({ tags })).toContain('agent "triage": tags: 55 tags (library tags and 2 provider default_tags included); IAM allows 50 per role. Remove 5 extra tags');
  });
  test('an over-long tag key is rejected', () => {
    const key = 'k'.repeat(129);
    expect(synthError({ tags: { [key]: 'v' } })).toContain('key is 129 characters; IAM allows 1-128');
  });
  test('an over-long tag value is rejected', () => {
    expect(synthError({ tags: { 'cost-center': 'v'.repeat(257) } })).toContain('agent "triage": tags["cost-center"]: value is 257 characters; IAM allows 256');
  });
  test('overriding a library tag is rejected', () => {
    expect(synthError({ tags: { 'agent:owner': 'someone-else' } })).toContain('tags["agent:owner"]: is set by the library; use the matching prop');
  });
});

describe('policy size', () => {
  test('permissions too large for IAM quotas are rejected with the size', () => {
    const grants = Array.from({ length: 700 }, (_, i) => Grant.readDynamoItems(`arn:aws:dynamodb:us-east-1:111122223333:table/a-rather-long-table-name-for-tickets-${i}`));
    const msg = synthError({ permissions: grants });
    expect(msg).toMatch(/agent "triage": permissions: permissions are \d+ characters as IAM counts them \(\d+ statements\); the role holds at most \d+: the inline policy's \d+ left of IAM's 10240 \(after guardrails and reserves\) plus 10 free managed policies of 6105 .*; they are larger than that capacity by \d+ characters/);
  });
});

describe('stack', () => {
  test('a stage that does not exist fails with a clear error', () => {
    expect(errorOf(() => newStack({ stage: 5 as MaturityStage }))).toContain('stack "dev": stage: 5 is not a maturity stage; use MaturityStage.FOUNDATION, ENHANCED or ADAPTIVE');
  });
  test('the ad hoc stage is never built', () => {
    expect(errorOf(() => newStack({ stage: MaturityStage.AD_HOC }))).toContain('AD_HOC (stage 1) is what the library replaces and never builds');
  });
  test('an unknown region is rejected at synth, with the stack\'s other problems', () => {
    expect(synthError({ owner: '' }, { region: 'moon-1' })).toMatch(/stack "dev": region: "moon-1" is not an AWS region name[\s\S]*agent "triage": owner: is required/);
  });
  test('an invalid environment name is rejected at synth, with the stack\'s other problems', () => {
    expect(synthError({ owner: '' }, { environment: 'Prod_1' })).toMatch(/stack "Prod_1": environment: must be 1-16 lower-case letters[\s\S]*agent "triage": owner: is required/);
  });
  test('every problem of a stack is reported together', () => {
    const msg = errorOf(() => {
      const stack = newStack();
      stack.addAgent(agentProps({ name: 'one', owner: '' }));
      stack.addAgent(agentProps({ name: 'two', delegation: { awsPrincipals: ['*'] } }));
      Testing.synth(stack, true);
    });
    expect(msg).toContain('agent "one": owner: is required');
    expect(msg).toContain('agent "two": delegation.awsPrincipals[0]');
  });
  test('an AgentIdentity outside an AgentIamStack explains where it belongs', () => {
    const { AgentIdentity } = require('../constructs/agent-identity');
    const { TerraformStack } = require('../lib/private/cdk');
    const stack = new TerraformStack(Testing.app(), 'plain');
    expect(errorOf(() => new AgentIdentity(stack, 'x', agentProps({ delegation: { awsPrincipals: [ORCHESTRATOR] } }))))
      .toContain('agent "triage": AgentIdentity must be created inside an AgentIamStack');
  });
});

describe('stage 3 (Enhanced)', () => {
  const enhanced = { stage: MaturityStage.ENHANCED };
  const valid = { expiresAt: '2030-01-01', permissions: [Grant.readDynamoItems(TABLE)] };
  test('a valid stage-3 agent synthesizes (the baseline)', () => {
    expect(synthError(valid, enhanced)).toBe('');
  });
  test('an agent without expiry is rejected', () => {
    expect(synthError({ permissions: [Grant.readDynamoItems(TABLE)] }, enhanced)).toContain('agent "triage": expiresAt: is required at stage 3 (Enhanced); set a date such as "2027-06-30", or "never" with noExpiryReason');
  });
  test('"never" without a reason is rejected', () => {
    expect(synthError({ ...valid, expiresAt: 'never' }, enhanced)).toContain('agent "triage": noExpiryReason: is required with expiresAt "never"');
  });
  test('an expiry in the past is rejected', () => {
    expect(synthError({ ...valid, expiresAt: '2020-01-01' }, enhanced)).toContain('agent "triage": expiresAt: 2020-01-01 is in the past, so the agent would be denied everything from the start');
  });
  test('a TTL under 900 s is rejected', () => {
    expect(synthError({ ...valid, sessionTtl: 600 }, enhanced)).toContain('agent "triage": sessionTtl: 600 s must be between 900 s');
  });
  test('an unknown region name is rejected', () => {
    expect(synthError({ ...valid, context: { allowedRegions: ['us-east-1', 'us-middle-1'] } }, enhanced))
      .toContain('agent "triage": context.allowedRegions[1]: "us-middle-1" is not an AWS region name');
  });
  test('two kinds of network origin at once are rejected', () => {
    expect(synthError({ ...valid, context: { sourceVpce: ['vpce-0a1b2c3d4e5f60718'], sourceIp: ['203.0.113.0/24'] } }, enhanced))
      .toContain('agent "triage": context.: sets more than one of sourceVpce, sourceVpc and sourceIp');
  });
  test('a malformed VPC endpoint id is rejected', () => {
    expect(synthError({ ...valid, context: { sourceVpce: ['endpoint-1'] } }, enhanced)).toContain('context.sourceVpce[0]: "endpoint-1" is not a VPC endpoint id');
  });
  test('a session-policy template over 2,048 characters is rejected', () => {
    const tables = Array.from({ length: 30 }, (_, i) => `arn:aws:dynamodb:us-east-1:111122223333:table/tickets-archive-of-year-${2000 + i}`);
    const msg = synthError({
      ...valid,
      permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: tables })],
      sessionPolicies: [{ name: 'all-archives', permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: tables })] }],
    }, enhanced);
    expect(msg).toMatch(/agent "triage": sessionPolicies\[0\]: template "all-archives" is \d+ characters; STS accepts session policies of at most 2048/);
  });
  test('a session-policy template beyond the agent\'s grants is rejected', () => {
    const msg = synthError({ ...valid, sessionPolicies: [{ name: 'write', permissions: [Grant.allow({ actions: ['dynamodb:PutItem'], resources: [TABLE] })] }] }, enhanced);
    expect(msg).toContain('agent "triage": sessionPolicies[0].permissions: template "write" grants dynamodb:PutItem on arn:aws:dynamodb:us-east-1:111122223333:table/tickets, outside the agent\'s own grants');
  });
  test('a service principal assuming the agent directly fails the per-task-session control', () => {
    const msg = synthError({ ...valid, delegation: { services: [{ service: 'ecs-tasks.amazonaws.com' }] } }, enhanced);
    expect(msg).toContain('agent "triage": fails AIAM-3.04 (Per-task sessions only, stage 3): ecs-tasks.amazonaws.com assumes the agent directly; declare the runtime or orchestrator role in awsPrincipals and assume the agent per task');
  });
  test('a grant that sets a context key itself is rejected', () => {
    const msg = synthError({ ...valid, permissions: [Grant.allow({ actions: ['dynamodb:GetItem'], resources: [TABLE], conditions: [{ test: 'StringEquals', variable: 'aws:RequestedRegion', values: ['eu-west-1'] }] })] }, enhanced);
    expect(msg).toContain('agent "triage": permissions: a grant sets condition key "aws:RequestedRegion", which the agent\'s context also sets; set it once, in context');
  });
  test('a token-age tick that is not whole minutes is rejected', () => {
    expect(errorOf(() => newStack({ ...enhanced, tokenAge: { tickSeconds: 30 } }))).toContain('stack "dev": tokenAge.tickSeconds: 30 s; EventBridge schedules run at whole minutes');
  });
});
