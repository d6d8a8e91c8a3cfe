/**
 * The DynamoDB tables of stage 4 (revocation ledger, risk scores): on-demand,
 * point-in-time recovery, customer-managed KMS encryption, deletion protection.
 */
import { Construct } from 'constructs';
import { DynamodbTable } from './aws';

/** @internal */
export function agentTable(scope: Construct, id: string, name: string, keyArn: string, deletionProtection: boolean, ttlAttribute?: string): DynamodbTable {
  return new DynamodbTable(scope, id, {
    name,
    billingMode: 'PAY_PER_REQUEST',
    hashKey: 'agent',
    rangeKey: 'sk',
    attribute: [{ name: 'agent', type: 'S' }, { name: 'sk', type: 'S' }],
    pointInTimeRecovery: { enabled: true },
    serverSideEncryption: { enabled: true, kmsKeyArn: keyArn },
    deletionProtectionEnabled: deletionProtection,
    ttl: ttlAttribute ? { enabled: true, attributeName: ttlAttribute } : undefined,
  });
}
