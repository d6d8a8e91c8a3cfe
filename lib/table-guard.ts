/**
 * Who may write the stage-4 tables. Revoke and quarantine tighten and may come from anywhere;
 * restore and approve loosen, so only the declared responders may cause them. That is enforced
 * by IAM, not by a field in a payload: each table's resource policy denies item writes to every
 * principal except the library function that owns the table and the responder roles
 * (`aws:PrincipalArn`, which for a role session is the role's ARN with its path). An explicit Deny
 * in a resource policy wins over any Allow, so a developer role with `dynamodb:*` in the same
 * account cannot write an approval or a restore request.
 *
 * Pure: policy documents only. Limits: the account root can still delete a DynamoDB resource
 * policy (DynamoDB keeps that door open against lock-out), and whoever may call
 * dynamodb:PutResourcePolicy can replace it; DET-3.13 reports both, and the agents' boundary
 * denies them to agents.
 */
import { policyDoc, PolicyDoc } from './policy';

/** Every DynamoDB action that writes, changes or deletes items. */
export const TABLE_ITEM_WRITE_ACTIONS = [
  'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete',
];

/**
 * The resource policy of a table only `writerArns` may write.
 * @param tableArn the table's ARN (a Terraform reference is fine)
 * @param writerArns role ARNs (with path) allowed to write items: the owning function's role and the responders
 */
export function guardedTablePolicy(tableArn: string, writerArns: string[]): PolicyDoc {
  return policyDoc([{
    Sid: 'OnlyOwnerAndRespondersWriteItems', Effect: 'Deny', Principal: { AWS: ['*'] },
    Action: TABLE_ITEM_WRITE_ACTIONS, Resource: [tableArn, `${tableArn}/index/*`],
    Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...new Set(writerArns)] } },
  }]);
}
