import { AbortedError } from '@kinesis-kit/core';
import { checkpointCommand, CHECKPOINT_USAGE } from './commands/checkpoint.js';
import { leasesCommand, LEASES_USAGE } from './commands/leases.js';
import { putCommand, PUT_USAGE } from './commands/put.js';
import { tailCommand, TAIL_USAGE } from './commands/tail.js';
import type { CliIO } from './context.js';
import { EXIT_CODES, toCliError, UsageError, type ExitCode } from './errors.js';

export { EXIT_CODES, type ExitCode } from './errors.js';
export type { CliIO } from './context.js';

export const USAGE = `kinesis-kit <command> [arguments] [options]

Commands:
  leases <app>                                 who owns which shard, checkpoints, lag
  tail <stream>                                print records as JSON lines (de-aggregated)
  put <stream>                                 write one record per stdin line (aggregated)
  checkpoint set|reset <app> <shard> <position> move a lease's checkpoint

Connection options (every command):
  --endpoint <url>           both services at one URL (emulators, LocalStack); HTTP/1.1
  --kinesis-endpoint <url>   Kinesis only
  --dynamodb-endpoint <url>  DynamoDB only
  --region <region>          default: the SDK's (AWS_REGION, profile); us-east-1 with an endpoint
  --profile <name>           credentials and region from this profile (~/.aws)
  --timeout <ms>             deadline of each request (default 10000)
  -h, --help                 help of a command: kinesis-kit <command> --help

Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 not found, 4 credentials or access
denied, 5 refused (a live worker holds the lease), 130 interrupted. See docs/cli.md.`;

const COMMANDS: Readonly<Record<string, { run: (args: readonly string[], io: CliIO) => Promise<ExitCode>; usage: string }>> = {
  leases: { run: leasesCommand, usage: LEASES_USAGE },
  tail: { run: tailCommand, usage: TAIL_USAGE },
  put: { run: putCommand, usage: PUT_USAGE },
  checkpoint: { run: checkpointCommand, usage: CHECKPOINT_USAGE },
};

/**
 * Runs one command line and returns the exit code. Nothing here exits the process or touches
 * globals: bin.ts does that, tests call this through the real bin in a child process.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  try {
    const command = COMMANDS[name];
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)} (leases, tail, put, checkpoint)`);
    return await command.run(args, io);
  } catch (error) {
    if (io.signal.aborted && error instanceof AbortedError) return EXIT_CODES.interrupted;
    const failure = toCliError(error);
    io.stderr.write(`kinesis-kit ${name}: ${failure.message} [${failure.code}]\n`);
    if (failure.exitCode === EXIT_CODES.usage) io.stderr.write(`run "kinesis-kit ${COMMANDS[name] === undefined ? '' : `${name} `}--help" for usage\n`);
    return failure.exitCode;
  }
}
