import type { TestProject } from 'vitest/node';
import { startDynalite } from './emulators/dynalite.js';
import { startDynamoDBLocal } from './emulators/dynamodb-local.js';
import { startKinesisLocal, type RunningEmulator } from './emulators/kinesis-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kinesisEndpoint: string;
    dynamoEndpoint: string;
    /** DynamoDB Local (the AWS jar): for tests that must hold against real DynamoDB semantics. */
    dynamoDBLocalEndpoint: string;
  }
}

/**
 * Starts one kinesis-local (child process), one dynalite (in this process) and one DynamoDB
 * Local (Java child process) for the whole run. Test files isolate themselves with their own account id and unique resource names.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: RunningEmulator[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((emulator) => emulator.stop()));
  };
  try {
    const starting = [startKinesisLocal(), startDynalite(), startDynamoDBLocal()] as const;
    await Promise.allSettled(starting.map(async (emulator) => started.push(await emulator)));
    const [kinesis, dynamo, dynamoLocal] = await Promise.all(starting);
    project.provide('kinesisEndpoint', kinesis.endpoint);
    project.provide('dynamoEndpoint', dynamo.endpoint);
    project.provide('dynamoDBLocalEndpoint', dynamoLocal.endpoint);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
