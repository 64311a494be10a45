import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { ENTITY_TYPE_ATTRIBUTE, LEASE_ATTRIBUTES } from '../lease-item.js';
import { FLEET_ENTITY_TYPE } from './fleet-item.js';
import type { FleetAttributes, FleetCondition, FleetUpdate, FleetValue } from './fleet-store.js';

/** The expression parts of one UpdateItem of the fleet item. */
export type FleetUpdateExpression = Required<Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ExpressionAttributeNames'>> &
  Pick<UpdateItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeValues'>;

/**
 * Compiles a typed FleetUpdate into one UpdateItem's expressions. Every attribute name is a
 * placeholder `#a0..` and every value `:v0..` (fleet attribute names are data, never spliced in):
 * - `set` `#a = :v`; `increment` `#a = if_not_exists(#a, :zero) + :n` (an absent attribute counts 0);
 * - `remove` `REMOVE #a`;
 * - `createIfAbsent` also SETs `entityType = if_not_exists(entityType, LEADER)`; without it, the
 *   write is conditional on `attribute_exists(leaseKey)` so an absent item is never created;
 * - `conditions`, all ANDed: `#a = :v`, `attribute_exists(#a)`, `attribute_not_exists(#a)`.
 */
export function compileFleetUpdate(update: FleetUpdate): FleetUpdateExpression {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const name = (attribute: string): string => {
    const placeholder = `#a${Object.keys(names).length}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (v: FleetValue): string => {
    const placeholder = `:v${Object.keys(values).length}`;
    values[placeholder] = toAttributeValue(v);
    return placeholder;
  };
  const sets: string[] = [];
  for (const [attribute, v] of Object.entries(update.set ?? {})) sets.push(`${name(attribute)} = ${value(v)}`);
  const increments = Object.entries(update.increment ?? {});
  if (increments.length > 0) {
    const zero = value(0);
    for (const [attribute, by] of increments) {
      const placeholder = name(attribute);
      sets.push(`${placeholder} = if_not_exists(${placeholder}, ${zero}) + ${value(by)}`);
    }
  }
  const conditions = (update.conditions ?? []).map((c) => conditionExpression(c, name, value));
  if (update.createIfAbsent === true) {
    const entityType = name(ENTITY_TYPE_ATTRIBUTE);
    sets.push(`${entityType} = if_not_exists(${entityType}, ${value(FLEET_ENTITY_TYPE)})`);
  } else {
    conditions.unshift(`attribute_exists(${name(LEASE_ATTRIBUTES.leaseKey)})`);
  }
  const removes = (update.remove ?? []).map(name);
  const clauses = [sets.length > 0 ? `SET ${sets.join(', ')}` : '', removes.length > 0 ? `REMOVE ${removes.join(', ')}` : ''];
  const expression = clauses.filter((c) => c !== '').join(' ');
  if (expression === '') throw new TypeError('a fleet update must SET, increment or REMOVE something');
  return {
    UpdateExpression: expression,
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    // DynamoDB rejects an empty map: a REMOVE under attribute_exists conditions has no values.
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

function conditionExpression(condition: FleetCondition, name: (a: string) => string, value: (v: FleetValue) => string): string {
  const placeholder = name(condition.attribute);
  if ('equals' in condition) return `${placeholder} = ${value(condition.equals)}`;
  return condition.exists ? `attribute_exists(${placeholder})` : `attribute_not_exists(${placeholder})`;
}

function toAttributeValue(value: FleetValue): AttributeValue {
  return typeof value === 'number' ? { N: String(value) } : { S: value };
}

/** The fleet item's attributes without its key and entityType: strings and numbers (other types are skipped). */
export function fleetAttributes(item: Record<string, AttributeValue>): FleetAttributes {
  const attributes = new Map<string, FleetValue>();
  for (const [attribute, v] of Object.entries(item)) {
    if (attribute === LEASE_ATTRIBUTES.leaseKey || attribute === ENTITY_TYPE_ATTRIBUTE) continue;
    if (v.S !== undefined) attributes.set(attribute, v.S);
    else if (v.N !== undefined) attributes.set(attribute, Number(v.N));
  }
  return attributes;
}

/**
 * Whether the item read back holds what `update` meant to leave, as far as it can be seen: every
 * SET attribute has its value and every REMOVEd one is absent. Increments cannot be told apart
 * from another writer's, so an update with nothing but increments is never judged applied.
 */
export function showsUpdate(fleet: FleetAttributes, update: FleetUpdate): boolean {
  const sets = Object.entries(update.set ?? {});
  const removes = update.remove ?? [];
  if (sets.length === 0 && removes.length === 0) return false;
  return sets.every(([attribute, v]) => fleet.get(attribute) === v) && removes.every((attribute) => !fleet.has(attribute));
}
