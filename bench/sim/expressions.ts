import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from './capacity.js';

/**
 * DynamoDB condition and update expressions over top-level attributes: enough of the grammar for
 * any lease-table protocol (comparisons, BETWEEN, IN, AND/OR/NOT, attribute_exists,
 * attribute_not_exists, begins_with, contains, size; SET with + and -, if_not_exists and
 * list_append, REMOVE, ADD, DELETE). Nested document paths are rejected with an error, so a
 * protocol that needs them fails loudly instead of being mis-simulated.
 */
export interface ExpressionContext {
  readonly names?: Record<string, string> | undefined;
  readonly values?: Record<string, AttributeValue> | undefined;
}

type Operand = { kind: 'path'; name: string } | { kind: 'value'; value: AttributeValue } | { kind: 'call'; fn: string; args: Operand[] };
type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; inner: Condition }
  | { kind: 'compare'; op: string; left: Operand; right: Operand }
  | { kind: 'between'; subject: Operand; low: Operand; high: Operand }
  | { kind: 'in'; subject: Operand; options: Operand[] }
  | { kind: 'function'; fn: string; args: Operand[] };

const TOKEN = /\s*(<>|<=|>=|[=<>(),+-]|[#:]?[A-Za-z0-9_]+|\.|\[|\])/y;

class Parser {
  readonly #tokens: string[] = [];
  #at = 0;

  constructor(
    source: string,
    private readonly context: ExpressionContext,
  ) {
    TOKEN.lastIndex = 0;
    while (source.slice(TOKEN.lastIndex).trim() !== '') {
      const match = TOKEN.exec(source);
      if (match === null) throw new Error(`cannot parse expression at ${TOKEN.lastIndex}: ${source}`);
      this.#tokens.push(match[1]!);
    }
  }

  peek(): string | undefined {
    return this.#tokens[this.#at];
  }
  next(): string {
    const token = this.#tokens[this.#at++];
    if (token === undefined) throw new Error('unexpected end of expression');
    return token;
  }
  keyword(word: string): boolean {
    if (this.peek()?.toUpperCase() !== word) return false;
    this.#at++;
    return true;
  }
  expect(token: string): void {
    const got = this.next();
    if (got !== token) throw new Error(`expected ${token}, got ${got}`);
  }
  done(): boolean {
    return this.#at >= this.#tokens.length;
  }

  condition(): Condition {
    let left = this.conjunction();
    while (this.keyword('OR')) left = { kind: 'or', left, right: this.conjunction() };
    return left;
  }
  conjunction(): Condition {
    let left = this.negation();
    while (this.keyword('AND')) left = { kind: 'and', left, right: this.negation() };
    return left;
  }
  negation(): Condition {
    if (this.keyword('NOT')) return { kind: 'not', inner: this.negation() };
    if (this.peek() === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    const subject = this.operand();
    if (subject.kind === 'call' && subject.fn !== 'size') return { kind: 'function', fn: subject.fn, args: subject.args };
    if (this.keyword('BETWEEN')) {
      const low = this.operand();
      if (!this.keyword('AND')) throw new Error('BETWEEN needs AND');
      return { kind: 'between', subject, low, high: this.operand() };
    }
    if (this.keyword('IN')) {
      this.expect('(');
      const options = [this.operand()];
      while (this.peek() === ',') options.push((this.next(), this.operand()));
      this.expect(')');
      return { kind: 'in', subject, options };
    }
    const op = this.next();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(op)) throw new Error(`unknown comparator ${op}`);
    return { kind: 'compare', op, left: subject, right: this.operand() };
  }

  operand(): Operand {
    const token = this.next();
    if (token.startsWith(':')) {
      const value = this.context.values?.[token];
      if (value === undefined) throw new Error(`no value for ${token}`);
      return { kind: 'value', value };
    }
    if (this.peek() === '(') {
      this.next();
      const args = [this.operand()];
      while (this.peek() === ',') args.push((this.next(), this.operand()));
      this.expect(')');
      return { kind: 'call', fn: token, args };
    }
    const name = token.startsWith('#') ? this.context.names?.[token] : token;
    if (name === undefined) throw new Error(`no name for ${token}`);
    if (this.peek() === '.' || this.peek() === '[') throw new Error(`nested document paths are not simulated (${token})`);
    return { kind: 'path', name };
  }
}

function resolve(operand: Operand, item: Item | undefined): AttributeValue | undefined {
  if (operand.kind === 'value') return operand.value;
  if (operand.kind === 'path') return item?.[operand.name];
  const [first, second] = operand.args;
  if (operand.fn === 'size' && first !== undefined) {
    const v = resolve(first, item);
    const length = v?.S?.length ?? v?.B?.byteLength ?? v?.SS?.length ?? v?.NS?.length ?? v?.L?.length ?? (v?.M ? Object.keys(v.M).length : undefined);
    return length === undefined ? undefined : { N: String(length) };
  }
  if (operand.fn === 'if_not_exists' && first !== undefined && second !== undefined) return resolve(first, item) ?? resolve(second, item);
  if (operand.fn === 'list_append' && first !== undefined && second !== undefined) {
    return { L: [...(resolve(first, item)?.L ?? []), ...(resolve(second, item)?.L ?? [])] };
  }
  throw new Error(`unknown function ${operand.fn}`);
}

function compare(a: AttributeValue, b: AttributeValue): number | undefined {
  if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if (a.B !== undefined && b.B !== undefined) return Buffer.compare(Buffer.from(a.B), Buffer.from(b.B));
  return undefined;
}

function equal(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const ordered = compare(a, b);
  if (ordered !== undefined) return ordered === 0;
  const set = (v: AttributeValue) => v.SS ?? v.NS;
  const sa = set(a);
  const sb = set(b);
  if (sa !== undefined && sb !== undefined) return sa.length === sb.length && sa.every((x) => sb.includes(x));
  return JSON.stringify(a) === JSON.stringify(b);
}

function evaluate(c: Condition, item: Item | undefined): boolean {
  switch (c.kind) {
    case 'and':
      return evaluate(c.left, item) && evaluate(c.right, item);
    case 'or':
      return evaluate(c.left, item) || evaluate(c.right, item);
    case 'not':
      return !evaluate(c.inner, item);
    case 'between': {
      const [v, lo, hi] = [resolve(c.subject, item), resolve(c.low, item), resolve(c.high, item)];
      if (v === undefined || lo === undefined || hi === undefined) return false;
      return (compare(v, lo) ?? -1) >= 0 && (compare(v, hi) ?? 1) <= 0;
    }
    case 'in':
      return c.options.some((o) => equal(resolve(c.subject, item), resolve(o, item)));
    case 'function':
      return callFunction(c.fn, c.args, item);
    case 'compare': {
      const [a, b] = [resolve(c.left, item), resolve(c.right, item)];
      if (c.op === '=') return equal(a, b);
      if (c.op === '<>') return !equal(a, b);
      const order = a === undefined || b === undefined ? undefined : compare(a, b);
      if (order === undefined) return false;
      return c.op === '<' ? order < 0 : c.op === '<=' ? order <= 0 : c.op === '>' ? order > 0 : order >= 0;
    }
  }
}

function callFunction(fn: string, args: Operand[], item: Item | undefined): boolean {
  const [first, second] = args;
  if (first === undefined) throw new Error(`${fn} needs an argument`);
  const value = resolve(first, item);
  if (fn === 'attribute_exists') return value !== undefined;
  if (fn === 'attribute_not_exists') return value === undefined;
  const arg = second === undefined ? undefined : resolve(second, item);
  if (fn === 'begins_with') return value?.S !== undefined && arg?.S !== undefined && value.S.startsWith(arg.S);
  if (fn === 'contains') {
    if (value?.S !== undefined && arg?.S !== undefined) return value.S.includes(arg.S);
    return arg !== undefined && (value?.SS?.includes(arg.S ?? '') === true || value?.NS?.includes(arg.N ?? '') === true);
  }
  throw new Error(`unknown function ${fn}`);
}

/** Whether `item` (undefined: absent) satisfies the condition expression. */
export function conditionHolds(expression: string, item: Item | undefined, context: ExpressionContext): boolean {
  const parser = new Parser(expression, context);
  const condition = parser.condition();
  if (!parser.done()) throw new Error(`trailing tokens in condition: ${expression}`);
  return evaluate(condition, item);
}

/** The item after the update expression (a new object; `item` is not changed). */
export function applyUpdate(expression: string, item: Item, context: ExpressionContext): Item {
  const parser = new Parser(expression, context);
  const result: Item = { ...item };
  while (!parser.done()) {
    const clause = parser.next().toUpperCase();
    do {
      const path = parser.operand();
      if (path.kind !== 'path') throw new Error(`${clause} needs an attribute name`);
      if (clause === 'SET') {
        parser.expect('=');
        result[path.name] = setValue(parser, item);
      } else if (clause === 'REMOVE') {
        delete result[path.name];
      } else if (clause === 'ADD' || clause === 'DELETE') {
        result[path.name] = addOrDelete(clause, item[path.name], resolve(parser.operand(), item));
        if (clause === 'DELETE' && (result[path.name]?.SS?.length === 0 || result[path.name]?.NS?.length === 0)) delete result[path.name];
      } else {
        throw new Error(`unknown update clause ${clause}`);
      }
    } while (parser.peek() === ',' && parser.next() === ',');
  }
  return result;
}

function setValue(parser: Parser, item: Item): AttributeValue {
  const first = resolve(parser.operand(), item);
  const op = parser.peek();
  if (op !== '+' && op !== '-') {
    if (first === undefined) throw new Error('SET of an absent attribute');
    return first;
  }
  parser.next();
  const second = resolve(parser.operand(), item);
  if (first?.N === undefined || second?.N === undefined) throw new Error('arithmetic needs numbers');
  return { N: String(Number(first.N) + (op === '+' ? 1 : -1) * Number(second.N)) };
}

function addOrDelete(clause: string, current: AttributeValue | undefined, value: AttributeValue | undefined): AttributeValue {
  if (value?.N !== undefined && clause === 'ADD') return { N: String(Number(current?.N ?? '0') + Number(value.N)) };
  if (value?.SS !== undefined) {
    const base = current?.SS ?? [];
    return { SS: clause === 'ADD' ? [...new Set([...base, ...value.SS])] : base.filter((s) => !value.SS!.includes(s)) };
  }
  if (value?.NS !== undefined) {
    const base = current?.NS ?? [];
    return { NS: clause === 'ADD' ? [...new Set([...base, ...value.NS])] : base.filter((s) => !value.NS!.includes(s)) };
  }
  throw new Error(`${clause} needs a number or a set`);
}
