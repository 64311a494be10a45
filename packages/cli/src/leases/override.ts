import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { comparePositions, LEASE_ATTRIBUTES as A, type DynamoDBLeaseStore, type Lease, type Position } from '@kinesis-kit/consumer';
import type { Connection } from '../clients.js';
import { call, withOperationDeadline, type CliIO } from '../context.js';
import { awsErrorName } from '../errors.js';

export type OverrideResult = { readonly kind: 'written'; readonly lease: Lease } | { readonly kind: 'changed' };

/**
 * The operator's checkpoint write: checkpoint and sub-sequence number set, owner switches 0,
 * pending checkpoint removed (as a checkpoint does), counter +1, and the owner (and KCL 3
 * checkpointOwner) REMOVED, so the next worker to take the shard starts from the new position (a
 * worker still running may carry on from its in-memory position: docs/cli.md).
 * Conditional like the library's writes: on the counter and owner as read. A failed condition is
 * read back once (an earlier attempt whose answer was lost may have applied).
 */
export async function overrideCheckpoint(
  client: DynamoDBClient,
  store: DynamoDBLeaseStore,
  lease: Lease,
  position: Position,
  connection: Connection,
  io: CliIO,
): Promise<OverrideResult> {
  const ownerCondition = lease.leaseOwner === undefined ? 'attribute_not_exists(#leaseOwner)' : '#leaseOwner = :owner';
  const names = [A.checkpoint, A.checkpointSubSequenceNumber, A.ownerSwitchesSinceCheckpoint, A.leaseCounter, A.leaseOwner, A.checkpointOwner, A.pendingCheckpoint, A.pendingCheckpointSubSequenceNumber, A.pendingCheckpointState];
  const command = new UpdateItemCommand({
    TableName: store.tableName,
    Key: { [A.leaseKey]: { S: lease.leaseKey } },
    UpdateExpression:
      'SET #checkpoint = :sequence, #checkpointSubSequenceNumber = :sub, #ownerSwitchesSinceCheckpoint = :zero, #leaseCounter = :next ' +
      'REMOVE #leaseOwner, #checkpointOwner, #pendingCheckpoint, #pendingCheckpointSubSequenceNumber, #pendingCheckpointState',
    ConditionExpression: `#leaseCounter = :expected AND ${ownerCondition}`,
    ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
    ExpressionAttributeValues: {
      ':sequence': { S: position.sequenceNumber },
      ':sub': { N: String(position.subSequenceNumber) },
      ':zero': { N: '0' },
      ':next': { N: String(lease.leaseCounter + 1) },
      ':expected': { N: String(lease.leaseCounter) },
      ...(lease.leaseOwner === undefined ? {} : { ':owner': { S: lease.leaseOwner } }),
    },
  });
  try {
    await call(connection, io, `UpdateItem ${lease.leaseKey}`, (signal) => client.send(command, { abortSignal: signal }));
  } catch (error) {
    if (awsErrorName(error) !== 'ConditionalCheckFailedException') throw error;
    const now = await withOperationDeadline(connection, io, (signal) => store.getLease(lease.leaseKey, signal));
    const applied = now !== undefined && now.leaseOwner === undefined && now.leaseCounter === lease.leaseCounter + 1 && comparePositions(now.checkpoint, position) === 0;
    return applied ? { kind: 'written', lease: now } : { kind: 'changed' };
  }
  const now = await withOperationDeadline(connection, io, (signal) => store.getLease(lease.leaseKey, signal));
  return now === undefined ? { kind: 'changed' } : { kind: 'written', lease: now };
}
