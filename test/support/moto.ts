/**
 * moto for tests: the server (scripts/engine/moto-server.ts) and the table
 * layout the stage-4 handlers use.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
export type { MotoServer } from '../../scripts/engine/moto-server';
export { startMoto } from '../../scripts/engine/moto-server';

/**
 * Creates a table with the layout of the stage-4 tables (constructs/agent-table.ts): partition key
 * `agent`, sort key `sk`, on demand. LEDGER_KEYS and RISK_KEYS both name this layout.
 */
export async function createAgentTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand({
    TableName: name, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'agent', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'agent', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
}
