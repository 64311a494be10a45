import {
  DEFAULT_AGGREGATION_MAX_COUNT,
  DEFAULT_AGGREGATION_MAX_SIZE,
  MAX_AGGREGATION_MAX_SIZE,
  MIN_AGGREGATION_MAX_SIZE,
} from './constants.js';
import { InvalidOptionError } from './errors.js';

/** Limits of one aggregated record; the names and defaults are the KPL's. */
export interface AggregatorOptions {
  /** Largest data of an aggregated record in bytes, 64..10 MiB (KPL AggregationMaxSize). Default 51,200. */
  maxSize?: number;
  /** Most user records in one aggregated record, >= 1 (KPL AggregationMaxCount). Default 2^32-1. */
  maxCount?: number;
}

/** Every aggregator option with its default, declared once. */
export const DEFAULT_AGGREGATOR_OPTIONS: Readonly<Required<AggregatorOptions>> = Object.freeze({
  maxSize: DEFAULT_AGGREGATION_MAX_SIZE,
  maxCount: DEFAULT_AGGREGATION_MAX_COUNT,
});

/** Fills in defaults and validates; throws InvalidOptionError (code INVALID_OPTION). */
export function resolveAggregatorOptions(options: AggregatorOptions = {}): Required<AggregatorOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'must be an object');
  }
  const maxSize = options.maxSize ?? DEFAULT_AGGREGATOR_OPTIONS.maxSize;
  const maxCount = options.maxCount ?? DEFAULT_AGGREGATOR_OPTIONS.maxCount;
  if (!Number.isInteger(maxSize) || maxSize < MIN_AGGREGATION_MAX_SIZE || maxSize > MAX_AGGREGATION_MAX_SIZE) {
    throw new InvalidOptionError(
      'maxSize',
      `must be an integer ${MIN_AGGREGATION_MAX_SIZE}..${MAX_AGGREGATION_MAX_SIZE}, got ${String(maxSize)}`,
    );
  }
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
    throw new InvalidOptionError('maxCount', `must be an integer >= 1, got ${String(maxCount)}`);
  }
  return { maxSize, maxCount };
}
