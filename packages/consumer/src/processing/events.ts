import type { CorruptAggregateInfo } from '@kinesis-kit/aggregation';
import type { Position } from '../position.js';
import type { RetrievalEvent } from '../retrieval/retrieval.js';
import type { ShardConsumerOutcome } from './contracts.js';
import type { ShardConsumerState } from './lifecycle.js';

/** What a shard consumer tells its `onEvent` hook. Every event names its shard. */
export type ShardConsumerEvent =
  | { readonly type: 'stateChanged'; readonly shardId: string; readonly from: ShardConsumerState; readonly to: ShardConsumerState }
  /** A processRecords call returned. */
  | { readonly type: 'recordsProcessed'; readonly shardId: string; readonly count: number; readonly bytes: number; readonly millisBehindLatest: number | undefined }
  | { readonly type: 'checkpointed'; readonly shardId: string; readonly position: Position; readonly latencyMs: number }
  /** A processor call threw. `willRetry`: the same records are delivered again after a backoff. */
  | {
      readonly type: 'processorError';
      readonly shardId: string;
      readonly phase: 'initialize' | 'processRecords' | 'shardEnded' | 'shutdownRequested' | 'leaseLost';
      readonly error: unknown;
      readonly willRetry: boolean;
    }
  | { readonly type: 'corruptAggregate'; readonly shardId: string; readonly info: CorruptAggregateInfo }
  | { readonly type: 'finished'; readonly shardId: string; readonly outcome: ShardConsumerOutcome }
  /** What the retrieval did about a fault: a stall, a gone shard, a shard end without ChildShards (see RetrievalEvent). */
  | RetrievalEvent;

export type ShardConsumerEventHook = (event: ShardConsumerEvent) => void;
