/**
 * Stage-4 facts read by what the resources do, not by their names: the revoker is a Lambda whose
 * role may `iam:PutRolePolicy`, its ledger a DynamoDB table it writes, the broker a Lambda whose
 * role may `sts:AssumeRole` roles under `/agents/`. Break-glass roles are not marked in
 * Terraform; the principals listed beside the broker's role in an agent's trust statement are
 * taken as break-glass roles. Pure.
 */
import { Statement } from '../policy';
import { RevocationFacts, StackFacts } from '../stage-check';
import { TerraformResource } from './config';
import type { DetectionWiring } from './detections';
import { resolvePolicyValue } from './policy-document';
import { policyByArn } from './policy-source';
import { ResourceIndex } from './resource-index';
import { first } from './values';
import { AGENT_ROLE_PATH_PREFIX } from '../naming';

/** Allow statements of the identity policies of a role (inline and attached). */
function roleAllows(role: TerraformResource, index: ResourceIndex): Statement[] {
  const inline = (index.pointing('aws_iam_role_policy', 'role', 'aws_iam_role').get(role) ?? []).map((p) => resolvePolicyValue(p.values.policy, index, p));
  const attached = (index.pointing('aws_iam_role_policy_attachment', 'role', 'aws_iam_role').get(role) ?? []).map((p) => policyByArn(p.values.policy_arn, index, p).doc);
  return [...inline, ...attached].flatMap((d) => d?.Statement ?? []).filter((s) => s.Effect === 'Allow');
}

function allowsAction(statements: Statement[], action: string, resourceIncludes?: string): boolean {
  return statements.some((s) => (s.Action ?? []).includes(action) && (!resourceIncludes || (s.Resource ?? []).some((r) => r.includes(resourceIncludes))));
}

/**
 * Stage-4 facts: the revoker (a Lambda whose role may write inline policies: iam:PutRolePolicy),
 * its ledger (a DynamoDB table it writes), the broker (a Lambda whose role may sts:AssumeRole
 * roles under /agents/), and risk scoring (a Lambda fed by detections that writes a table the
 * broker reads).
 */
export function adaptiveFacts(index: ResourceIndex, detections: DetectionWiring[]): { facts: Partial<StackFacts>; revokerAddress?: string; brokerAddress?: string } {
  const fns = index.ofType('aws_lambda_function').map((f) => {
    const role = index.resolve(f.values.role, ['aws_iam_role'], f, ['name', 'arn']);
    return { f, role, allows: role ? roleAllows(role, index) : [] };
  });
  const targetsFn = (arn: string, f: TerraformResource) => index.resolve(arn, ['aws_lambda_function'], f, ['function_name']) === f
    || (typeof f.values.function_name === 'string' && arn.endsWith(`:function:${f.values.function_name}`));
  const revoker = fns.find((x) => allowsAction(x.allows, 'iam:PutRolePolicy'));
  const broker = fns.find((x) => allowsAction(x.allows, 'sts:AssumeRole', `:role${AGENT_ROLE_PATH_PREFIX}`));
  const facts: { revocation?: RevocationFacts; brokerPrincipals?: string[]; riskScoring?: boolean } = {};
  if (revoker) {
    const tables = index.ofType('aws_dynamodb_table').filter((t) => revoker.allows.some((s) => (s.Action ?? []).some((a) => /^dynamodb:(PutItem|UpdateItem)$/.test(a))
      && (s.Resource ?? []).some((r) => index.resolve(r, ['aws_dynamodb_table'], t, ['name']) === t)));
    const pitr = tables.some((t) => first(t.values.point_in_time_recovery)?.enabled === true);
    const kms = tables.some((t) => first(t.values.server_side_encryption)?.enabled === true && !!first(t.values.server_side_encryption)?.kms_key_arn);
    facts.revocation = {
      wiredRuleIds: [...new Set(detections.filter((d) => d.enabled && d.targets.some((t) => targetsFn(t.arn, revoker.f))).map((d) => d.ruleId))].sort(),
      // The kill switch is a direct invocation of the revoker (`agent-iam revoke`): it exists with the revoker.
      killSwitch: revoker.f.values.reserved_concurrent_executions !== 0,
      ledgerPointInTimeRecovery: pitr,
      ledgerKmsEncrypted: kms,
      notifies: allowsAction(revoker.allows, 'sns:Publish'),
      revokerActions: revoker.allows.flatMap((s) => s.Action ?? []),
    };
  }
  if (broker && broker.role) {
    // References are module-relative, as they appear in the agents' trust policies.
    const brokerArn = `\${aws_iam_role.${broker.role.name}.arn}`;
    // Break-glass roles are declared beside the broker in the agents' trust statements.
    const beside = new Set<string>();
    for (const role of index.ofType('aws_iam_role')) {
      const trust = resolvePolicyValue(role.values.assume_role_policy, index, role);
      for (const s of trust?.Statement ?? []) {
        const aws = s.Principal?.AWS ?? [];
        if (aws.some((p) => index.resolve(p, ['aws_iam_role'], role, ['name']) === broker.role)) aws.forEach((p) => beside.add(p));
      }
    }
    facts.brokerPrincipals = [...new Set([brokerArn, ...beside])];
    const brokerReads = (t: TerraformResource) => broker.allows.some((s) => (s.Action ?? []).some((a) => /^dynamodb:(GetItem|Query)$/.test(a))
      && (s.Resource ?? []).some((r) => index.resolve(r, ['aws_dynamodb_table'], t, ['name']) === t));
    facts.riskScoring = fns.some((x) => x !== revoker
      && detections.some((d) => d.enabled && d.targets.some((t) => targetsFn(t.arn, x.f)))
      && index.ofType('aws_dynamodb_table').some((t) => brokerReads(t) && x.allows.some((s) => (s.Action ?? []).some((a) => /^dynamodb:(PutItem|UpdateItem)$/.test(a))
        && (s.Resource ?? []).some((r) => index.resolve(r, ['aws_dynamodb_table'], t, ['name']) === t))));
  }
  return { facts, revokerAddress: revoker?.f.address, brokerAddress: broker?.f.address };
}
