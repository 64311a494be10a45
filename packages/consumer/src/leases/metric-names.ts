/** Metrics the lease layer reports. */
export const LEASE_METRICS = {
  /** Count (dimension `operation`): DynamoDB requests made, every attempt. */
  dynamoDBRequests: 'DynamoDB.Requests',
  /** Count (dimension `operation`): DynamoDB requests throttled and retried. */
  dynamoDBThrottled: 'DynamoDB.Throttled',
  /** Gauge: leases this worker holds. */
  leasesHeld: 'Leases.Held',
  /** Count: leases taken (unassigned, released or expired ones). */
  leasesTaken: 'Leases.Taken',
  /** Count: leases stolen from a live worker above its share. */
  leasesStolen: 'Leases.Stolen',
  /** Count: leases lost (taken by another worker, or expired locally before renewal). */
  leasesLost: 'Leases.Lost',
  /** Count: leases released (graceful stop, shard finished). */
  leasesReleased: 'Leases.Released',
  /** Count: leases the fleet leader placed on a worker (fleet coordination). */
  leasesAssigned: 'Leases.Assigned',
  /** Count: workers the fleet leader declared dead (their heartbeat stopped for failoverTimeMillis). */
  workersDeclaredDead: 'Workers.DeclaredDead',
  /** Count: leases of finished shards deleted by cleanup. */
  leasesCleanedUp: 'Leases.CleanedUp',
  /** Count: leases created by shard sync or at shard end. */
  leasesCreated: 'Leases.Created',
} as const;
