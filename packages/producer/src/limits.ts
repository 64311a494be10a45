/*
 * Kinesis service limits the producer works within. Each is named once, here, with where it
 * comes from; options default to them and are validated against them.
 */

const MiB = 1024 * 1024;

/** PutRecords API reference: at most 500 records per request. */
export const PUT_RECORDS_MAX_RECORDS = 500;

/** PutRecords API reference: at most 5 MiB per request, partition keys included. */
export const PUT_RECORDS_MAX_BYTES = 5 * MiB;

/** Kinesis quotas: a record (data + partition key) is at most 1 MiB unless the stream was raised. */
export const DEFAULT_MAX_RECORD_BYTES = MiB;

/** UpdateMaxRecordSize API reference: MaxRecordSizeInKiB is at most 10240 (10 MiB). */
export const LARGE_MAX_RECORD_BYTES = 10 * MiB;

/** Kinesis quotas: a shard accepts 1,000 records per second (an aggregate counts as one). */
export const SHARD_RECORDS_PER_SECOND = 1_000;

/** Kinesis quotas: a shard accepts 1 MiB per second of data plus partition keys. */
export const SHARD_BYTES_PER_SECOND = MiB;

/** ListShards API reference: MaxResults is at most 1,000 shards per page. */
export const LIST_SHARDS_MAX_RESULTS = 1_000;
