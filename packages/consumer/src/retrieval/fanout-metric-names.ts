/** Metrics the fan-out retrieval reports (dimension `shardId`; failures also `operation`). */
export const FAN_OUT_METRICS = {
  /** Count: SubscribeToShard calls made (including those that failed). */
  subscribeCalls: 'SubscribeToShard.Calls',
  /** Timing: from a SubscribeToShard call to its first event (an established subscription). */
  subscribeTime: 'SubscribeToShard.Time',
  /** Count: events received, heartbeats included. */
  events: 'SubscribeToShard.Events',
  /** Count: Kinesis records received (aggregates count once; duplicates dropped are not counted). */
  recordsFetched: 'SubscribeToShard.Records',
  /** Count: subscribe calls throttled (LimitExceededException), retried after a backoff. */
  throttled: 'SubscribeToShard.Throttled',
  /** Count: subscribe calls refused because the previous subscription is still active (ResourceInUseException), retried. */
  resourceInUse: 'SubscribeToShard.ResourceInUse',
  /** Count: other failures of a subscribe call or of an established subscription (5xx, resets, and the final fatal one). */
  failures: 'SubscribeToShard.Failures',
  /** Count: subscriptions torn down because no event came within subscriptionStallTimeoutMillis. */
  stalled: 'SubscribeToShard.Stalled',
  /** Count: subscriptions that ended normally (the service's 5 minutes, or maxSubscriptionMillis) and were renewed. */
  renewed: 'SubscribeToShard.Renewed',
  /** Count: shards ended because SubscribeToShard answered ResourceNotFoundException and ListShards shows them closed or absent. */
  shardsGone: 'SubscribeToShard.ShardsGone',
  /** Count: last events without ChildShards, checked with ListShards (see the `unconfirmedShardEnd` event). */
  unconfirmedShardEnds: 'SubscribeToShard.UnconfirmedShardEnds',
  /** Count: records at or before the last one delivered, dropped (a safety net; should stay 0). */
  duplicatesDropped: 'SubscribeToShard.DuplicatesDropped',
} as const;
