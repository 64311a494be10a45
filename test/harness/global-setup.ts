import type { TestProject } from 'vitest/node';
import { startDynalite } from './emulators/dynalite.js';
import { startKinesisLocal, type RunningEmulator } from './emulators/kinesis-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kinesisEndpoint: string;
    dynamoEndpoint: string;
  }
}

/**
 * Starts one kinesis-local (child process) and one dynalite (in this process) for the whole
 * run. Test files isolate themselves with their own account id and unique resource names.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: RunningEmulator[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((emulator) => emulator.stop()));
  };
  try {
    const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
    started.push(kinesis, dynamo);
    project.provide('kinesisEndpoint', kinesis.endpoint);
    project.provide('dynamoEndpoint', dynamo.endpoint);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
