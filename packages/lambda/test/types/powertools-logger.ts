// Type-level proof that Powertools' `Logger` is a `Logger` of this package (issue 9: it
// failed with TS2769). Never executed: `tsc -p tsconfig.test.json` must report nothing here.
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger as CoreLogger } from '@kinesis-kit/core';
import { deaggregateEvent, kinesisHandler } from '../../src/index.js';
import type { KinesisStreamEvent, Logger } from '../../src/index.js';

const powertools = new PowertoolsLogger({ serviceName: 'orders' });

export const asOurLogger: Logger = powertools;
export const recordMode = kinesisHandler(() => undefined, { reportBatchItemFailures: true, logger: powertools });
export const batchMode = kinesisHandler(() => undefined, { mode: 'batch', reportBatchItemFailures: true, logger: powertools });
export const deaggregate = (event: KinesisStreamEvent): number => deaggregateEvent(event, { logger: powertools }).length;

// The loggers that fitted before still fit.
export const consoleLogger: Logger = console;
export const coreLogger = (logger: CoreLogger): Logger => logger;
