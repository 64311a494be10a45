#!/usr/bin/env node
// The `kinesis-kit` executable: wires the process (argv, stdio, signals, exit code) to main().
import { main } from './main.js';

// The SDK's notice about Node 20 support would be printed on every run; it is not the CLI's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
const stop = (): void => controller.abort(new Error('interrupted'));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// A closed pipe (`kinesis-kit tail s | head`) ends the command quietly.
process.stdout.on('error', stop);

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTTY: process.stderr.isTTY === true,
  signal: controller.signal,
});
