/*
 * Kinesis service limits the producer works within. Each is named once, here, with where it
 * comes from; options default to them and are validated against them. Checked against the API
 * reference in December 2026 (and the AWS SDK for JavaScript 3.1143 model, which says the same):
 * - PutRecords: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 * - PutRecordsRequestEntry: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsRequestEntry.html
 * - UpdateMaxRecordSize: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateMaxRecordSize.html
 * - DescribeStreamSummary: https://docs.aws.amazon.com/kinesis/latest/APIReference/API_DescribeStreamSummary.html
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** PutRecords API reference: at most 500 records per request. */
export const PUT_RECORDS_MAX_RECORDS = 500;

/** PutRecords API reference: at most 10 MiB per request, partition keys included (5 MiB before the 2025 change). */
export const PUT_RECORDS_MAX_BYTES = 10 * MiB;

/** KPL CollectionMaxSize default: 5 MiB per request (below the API's PUT_RECORDS_MAX_BYTES). */
export const DEFAULT_COLLECTION_MAX_BYTES = 5 * MiB;

/** Kinesis quotas: a record (data + partition key) is at most 1 MiB unless the stream was raised (a stream without MaxRecordSizeInKiB has this). */
export const DEFAULT_MAX_RECORD_BYTES = MiB;

/**
 * UpdateMaxRecordSize API reference: MaxRecordSizeInKiB is 1024..10240, so no stream takes a
 * record (data + partition key; PutRecord and PutRecords alike) above 10 MiB. It equals
 * PUT_RECORDS_MAX_BYTES, so one record of any accepted size fits in a request alone.
 */
export const LARGE_MAX_RECORD_BYTES = 10 * MiB;

/** UpdateMaxRecordSize API reference: MaxRecordSizeInKiB is counted in KiB. */
export const MAX_RECORD_SIZE_UNIT_BYTES = KiB;

/** Kinesis quotas: a shard accepts 1,000 records per second (an aggregate counts as one). */
export const SHARD_RECORDS_PER_SECOND = 1_000;

/** Kinesis quotas: a shard accepts 1 MiB per second of data plus partition keys. */
export const SHARD_BYTES_PER_SECOND = MiB;

/** ListShards API reference: MaxResults is at most 1,000 shards per page. */
export const LIST_SHARDS_MAX_RESULTS = 1_000;
