/**
 * One reading of "which role is this detection about", shared by the revoker and the risk scorer.
 */
import { detectionSubject } from '../lib/detection-subject';
import { agentOfEvent } from '../lambda/risk/index';
import { parseRequest } from '../lambda/revoker/index';

const A = 'arn:aws:iam::111122223333:role/agents/dev/agent-research-dev';
const B = 'arn:aws:iam::111122223333:role/agents/dev/agent-release-dev';

test('an AssumeRole call is about the role assumed first, then the caller', () => {
  const detail = { eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', userIdentity: { sessionContext: { sessionIssuer: { arn: B } } }, requestParameters: { roleArn: A } };
  expect(detectionSubject(detail)).toEqual({ roleArns: [A, B] });
});

test('any other call is about the calling session\'s role only', () => {
  const detail = { eventSource: 'iam.amazonaws.com', eventName: 'CreateRole', userIdentity: { sessionContext: { sessionIssuer: { arn: B } } }, requestParameters: { roleArn: A } };
  expect(detectionSubject(detail)).toEqual({ roleArns: [B] });
});

test('a GuardDuty finding is about the role of its access key', () => {
  expect(detectionSubject({ resource: { accessKeyDetails: { userName: 'agent-research-dev', userType: 'AssumedRole' } } }))
    .toEqual({ roleArns: [], guardDutyUserName: 'agent-research-dev', guardDutyUserType: 'AssumedRole' });
});

test('the revoker and the risk scorer blame the same agent for one event', () => {
  const event = {
    id: 'e-1', time: '2026-11-28T10:00:00Z',
    detail: { eventTime: '2026-11-28T10:00:00Z', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', userIdentity: { sessionContext: { sessionIssuer: { arn: B } } }, requestParameters: { roleArn: A } },
  };
  const parsed = parseRequest({ kind: 'detection', ruleId: 'DET-3.09', severity: 'high', event }, 'dev', new Date('2026-11-28T10:01:00Z'));
  expect(parsed.agent).toBe('research');
  expect(agentOfEvent(event, 'dev')).toBe('research');
});

test('a denied AssumeRole is about the caller only: the victim it names is never charged', () => {
  const detail = {
    eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', errorCode: 'AccessDenied',
    userIdentity: { sessionContext: { sessionIssuer: { arn: B } } }, requestParameters: { roleArn: A },
  };
  expect(detectionSubject(detail)).toEqual({ roleArns: [B] });
  const event = { id: 'e-2', time: '2026-11-28T10:00:00Z', detail: { ...detail, eventTime: '2026-11-28T10:00:00Z' } };
  // A peer agent (release) tried to assume research: release is charged, research is not.
  expect(agentOfEvent(event, 'dev')).toBe('release');
  const parsed = parseRequest({ kind: 'detection', ruleId: 'DET-3.01', severity: 'high', event }, 'dev', new Date('2026-11-28T10:01:00Z'));
  expect(parsed.agent).toBe('release');
  // A non-agent caller (a developer role) is charged to nobody.
  const byDeveloper = { ...event, detail: { ...event.detail, userIdentity: { sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/developer' } } } } };
  expect(agentOfEvent(byDeveloper, 'dev')).toBeUndefined();
});
