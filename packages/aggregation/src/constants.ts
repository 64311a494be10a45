/** The four bytes that open every KPL aggregated record (KPL aggregation-format.md). */
export const MAGIC: Uint8Array = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);

/** Our own copy of MAGIC, so a caller mutating the exported array cannot change what we write or accept. */
export const MAGIC_BYTES: Uint8Array = MAGIC.slice();

/** Length of the MD5 digest that closes an aggregated record. */
export const MD5_LENGTH = 16;

/** Fixed bytes around the protobuf body: 4 magic + 16 MD5. */
export const AGGREGATION_OVERHEAD = 4 + MD5_LENGTH;

/** KPL `AggregationMaxSize` default: bytes of one aggregated record's data. */
export const DEFAULT_AGGREGATION_MAX_SIZE = 51_200;

/** KPL `AggregationMaxSize` lower bound. */
export const MIN_AGGREGATION_MAX_SIZE = 64;

/** KPL `AggregationMaxSize` upper bound (10 MiB, the largest record a stream can be raised to). */
export const MAX_AGGREGATION_MAX_SIZE = 10 * 1024 * 1024;

/** KPL `AggregationMaxCount` default: user records per aggregated record (2^32-1). */
export const DEFAULT_AGGREGATION_MAX_COUNT = 4_294_967_295;

/** Partition key of an outer record carrying two or more user records (what the KPL writes). */
export const AGGREGATED_PARTITION_KEY = 'a';

/** Kinesis PutRecords: a partition key is 1..256 Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** Kinesis: the hash key space is 0..2^128-1. */
export const MAX_HASH_KEY: bigint = (1n << 128n) - 1n;
