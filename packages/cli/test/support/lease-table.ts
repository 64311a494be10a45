import { CreateTableCommand, DescribeTableCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { waitFor } from '../../../../test/harness/wait.js';

/** Creates a lease table with the KCL's key schema, waits until ACTIVE, and writes `items` as they are. */
export async function createLeaseTable(client: DynamoDBClient, tableName: string, items: readonly Record<string, AttributeValue>[] = []): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
    }),
  );
  await waitFor(async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus === 'ACTIVE', {
    description: `table ${tableName} to become ACTIVE`,
  });
  for (const Item of items) await client.send(new PutItemCommand({ TableName: tableName, Item }));
}
