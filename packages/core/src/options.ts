import { ConfigurationError } from './errors.js';

/** One declared option: its default, its meaning, and what values it accepts. */
export interface OptionSpec<T> {
  readonly default: T;
  /** One line: what the option means (rendered into the docs table). */
  readonly doc: string;
  /** Returns what is wrong with a value, or undefined when it is acceptable. */
  readonly check: (value: unknown) => string | undefined;
  /** The equivalent KPL / KCL setting, for the migration column of the docs. */
  readonly javaName?: string;
  /** How to show the default in docs when the value alone is unclear (e.g. `2^32-1`). */
  readonly shownDefault?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptionSpecs = Readonly<Record<string, OptionSpec<any>>>;
export type OptionValues<S extends OptionSpecs> = { readonly [K in keyof S]: S[K]['default'] };
export type CrossCheck<S extends OptionSpecs> = (values: OptionValues<S>) => string | undefined;

export function option<T>(default_: T, doc: string, check: (value: unknown) => string | undefined, extra: { javaName?: string; shownDefault?: string } = {}): OptionSpec<T> {
  return { default: default_, doc, check, ...extra };
}

/** Reusable value checks. */
export const checks = {
  integer:
    (min: number, max = Number.MAX_SAFE_INTEGER) =>
    (value: unknown): string | undefined =>
      typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
        ? undefined
        : `must be an integer from ${min} to ${max}`,
  number:
    (min: number, max = Number.POSITIVE_INFINITY) =>
    (value: unknown): string | undefined =>
      typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
        ? undefined
        : `must be a number from ${min} to ${max}`,
  boolean: () => (value: unknown): string | undefined => (typeof value === 'boolean' ? undefined : 'must be true or false'),
  oneOf:
    <T extends string>(...allowed: T[]) =>
    (value: unknown): string | undefined =>
      allowed.includes(value as T) ? undefined : `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
  /** Anything (for functions and objects checked elsewhere). */
  any: () => (): string | undefined => undefined,
};

/**
 * Fills in defaults and validates every option and every cross-field rule, always (not behind
 * a flag). Keys that are neither declared nor in `otherKeys` are rejected, so a misspelt option
 * fails loudly instead of silently keeping its default. All problems are reported together.
 */
export function resolveOptions<S extends OptionSpecs>(
  component: string,
  specs: S,
  input: Readonly<Record<string, unknown>>,
  options: { otherKeys?: readonly string[]; crossChecks?: readonly CrossCheck<S>[] } = {},
): OptionValues<S> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const given = input[key];
    const value = given === undefined ? spec.default : given;
    const problem = spec.check(value);
    if (problem !== undefined) problems.push(`${key} ${problem} (got ${describe(given)})`);
    values[key] = value;
  }
  const known = new Set([...Object.keys(specs), ...(options.otherKeys ?? [])]);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) problems.push(`${key} is not an option of ${component}`);
  }
  if (problems.length === 0) {
    for (const crossCheck of options.crossChecks ?? []) {
      const problem = crossCheck(values as OptionValues<S>);
      if (problem !== undefined) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(`invalid ${component} options: ${problems.join('; ')}`);
  return Object.freeze(values) as OptionValues<S>;
}

/** The declared options as a Markdown table, for docs (and a test that the docs match). */
export function renderOptionsTable(specs: OptionSpecs): string {
  const hasJava = Object.values(specs).some((spec) => spec.javaName !== undefined);
  const header = hasJava ? '| option | default | Java name | meaning |\n|---|---|---|---|' : '| option | default | meaning |\n|---|---|---|';
  const rows = Object.entries(specs).map(([key, spec]) => {
    const shown = spec.shownDefault ?? describe(spec.default);
    const cells = hasJava ? [key, shown, spec.javaName ?? '', spec.doc] : [key, shown, spec.doc];
    return `| ${cells.map((cell, i) => (i < cells.length - 1 && cell !== '' ? `\`${cell}\`` : cell)).join(' | ')} |`;
  });
  return [header, ...rows].join('\n');
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'function';
  if (typeof value === 'number') return value.toLocaleString('en-US').replace(/,/g, '_');
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json;
}
