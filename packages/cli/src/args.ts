import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

type OptionSpec = { readonly type: 'string' | 'boolean'; readonly short?: string; readonly multiple?: boolean };
type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Options every command takes: where the services are, who is asking, how long a request may take. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: 'string' },
  'kinesis-endpoint': { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommand {
  readonly values: ParsedValues;
  readonly positionals: readonly string[];
}

/**
 * Parses one command's arguments (node:util parseArgs, strict): the connection options plus
 * `options`, and exactly the positionals named in `names` (unless --help is given).
 * @throws UsageError for an unknown option, a missing value or a wrong number of arguments.
 */
export function parseCommand(args: readonly string[], options: OptionSpecs, names: readonly string[]): ParsedCommand {
  let parsed: { values: ParsedValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: { ...CONNECTION_OPTIONS, ...options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help !== true && parsed.positionals.length !== names.length) {
    const expected = names.map((name) => `<${name}>`).join(' ');
    throw new UsageError(`expected ${expected}, got ${parsed.positionals.length === 0 ? 'nothing' : parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** A string option's value, if given. */
export function stringOption(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** An integer option in [min, max], or `fallback` when absent. */
export function integerOption(values: ParsedValues, name: string, fallback: number, range: { min: number; max?: number }): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value) || value < range.min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${range.min}${range.max === undefined ? '' : ` to ${range.max}`}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
