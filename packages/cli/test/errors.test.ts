import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { FaultProxy, testAccountId } from '../../../test/harness/index.js';
import { emulatorEnv, endpointArgs, killAllClis, runCli, type CliEnvironment } from './support/cli.js';

describe('kinesis-kit errors and exit codes', () => {
  const cli: CliEnvironment = { kinesisEndpoint: inject('kinesisEndpoint'), dynamoEndpoint: inject('dynamoEndpoint'), accountId: testAccountId() };
  const env = emulatorEnv(cli);
  const proxies: FaultProxy[] = [];

  afterEach(async () => {
    await killAllClis();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  /** A proxy answering every request with the error the service gives for refused credentials. */
  const refusing = async (upstream: string, code: string, status = 400) => {
    const proxy = await FaultProxy.start(upstream, () => ({ kind: 'error', status, code, message: `injected ${code}` }));
    proxies.push(proxy);
    return proxy.endpoint;
  };

  it('credentials refused by the service (injected) are exit code 4, for DynamoDB and Kinesis', async () => {
    const dynamo = await refusing(cli.dynamoEndpoint, 'UnrecognizedClientException');
    const leases = await runCli(['leases', 'app', '--dynamodb-endpoint', dynamo, '--kinesis-endpoint', cli.kinesisEndpoint], env);
    expect(leases.code).toBe(4);
    expect(leases.stderr).toContain('credentials were refused or are missing (UnrecognizedClientException)');
    expect(leases.stderr).toContain('[CREDENTIALS]');

    const kinesis = await refusing(cli.kinesisEndpoint, 'AccessDeniedException');
    const tail = await runCli(['tail', 'stream', '--kinesis-endpoint', kinesis], env);
    expect(tail.code).toBe(4);
    expect(tail.stderr).toContain('(AccessDeniedException)');
  });

  it('a request never answered (black-holed, injected) ends at --timeout with exit code 1', async () => {
    const proxy = await FaultProxy.start(cli.dynamoEndpoint, () => ({ kind: 'blackHole' }));
    proxies.push(proxy);
    const run = await runCli(['leases', 'app', '--dynamodb-endpoint', proxy.endpoint, '--timeout', '1000'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no answer within 1000 ms (--timeout) [TIMEOUT]');
    const tail = await runCli(['tail', 'stream', '--kinesis-endpoint', proxy.endpoint, '--timeout', '200'], env);
    expect(tail.code).toBe(1);
    expect(tail.stderr).toContain('failed after 4 attempt(s): TimeoutError');
  });

  it('no credentials at all (a --profile that does not exist) is exit code 4', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'kinesis-kit-home-'));
    const bare = { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: path.join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'credentials') };
    const run = await runCli(['tail', 'stream', ...endpointArgs(cli), '--profile', 'no-such-profile'], bare);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('CredentialsProviderError');
  });

  it('usage errors are exit code 2 with a pointer to --help; --help is 0', async () => {
    const cases: [string[], number, string][] = [
      [[], 2, 'kinesis-kit <command>'],
      [['--help'], 0, 'Exit codes:'],
      [['frob'], 2, 'unknown command "frob"'],
      [['leases'], 2, 'expected <app>, got nothing'],
      [['leases', 'a', 'b'], 2, 'expected <app>, got "a" "b"'],
      [['leases', 'app', '--colour'], 2, "Unknown option '--colour'"],
      [['tail', 's', '--max-records', 'ten'], 2, '--max-records must be an integer from 1'],
      [['tail', 's', '--timeout', '0'], 2, '--timeout must be an integer from 1'],
      [['tail', 's', '--endpoint', 'localhost:4567'], 2, '--endpoint must be an http:// or https:// URL'],
      [['put', '--help'], 0, 'kinesis-kit put <stream>'],
      [['checkpoint', '--help'], 0, 'kinesis-kit checkpoint set'],
    ];
    for (const [args, code, message] of cases) {
      const run = await runCli(args, env);
      expect({ args, code: run.code }).toEqual({ args, code });
      expect(code === 0 ? run.stdout : `${run.stdout}${run.stderr}`).toContain(message);
      if (code === 2 && args.length > 0) expect(run.stderr).toContain('--help" for usage');
    }
  }, 120_000);
});
