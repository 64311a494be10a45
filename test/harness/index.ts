export { dynamoClient, kinesisClient, testAccountId, type TestClientOptions } from './clients.js';
export { createStream, listAllShards, uniqueName, waitForStreamActive, type TestStream } from './resources.js';
export { readAllRecords } from './read.js';
export { waitFor, type WaitOptions } from './wait.js';
export { FaultProxy, partialFailure, randomFaults, type Fault, type FaultPlan, type RandomFaultRule, type RequestInfo } from './fault-proxy.js';
export { seededRandom } from './random.js';
