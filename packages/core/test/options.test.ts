import { describe, expect, it } from 'vitest';
import { ConfigurationError, checks, option, renderOptionsTable, resolveOptions } from '../src/index.js';

const specs = {
  maxCount: option(500, 'Records per request.', checks.integer(1, 500), { javaName: 'CollectionMaxCount' }),
  rate: option(150, 'Percent of the shard limit.', checks.number(1, 10_000)),
  mode: option<'fast' | 'safe'>('fast', 'How to run.', checks.oneOf('fast', 'safe')),
  enabled: option(true, 'Whether it is on.', checks.boolean()),
};

describe('resolveOptions', () => {
  it('fills defaults and keeps given values', () => {
    expect(resolveOptions('thing', specs, { rate: 50 })).toEqual({ maxCount: 500, rate: 50, mode: 'fast', enabled: true });
  });

  it('reports every problem at once with a typed error', () => {
    const error = (() => {
      try {
        resolveOptions('thing', specs, { maxCount: 501, mode: 'slow', enabled: 'yes' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code: 'INVALID_OPTION', retriable: false });
    const message = (error as Error).message;
    expect(message).toContain('maxCount must be an integer from 1 to 500 (got 501)');
    expect(message).toContain("mode must be one of 'fast', 'safe'");
    expect(message).toContain('enabled must be true or false');
  });

  it('rejects misspelt options unless declared elsewhere', () => {
    expect(() => resolveOptions('thing', specs, { maxCont: 3 })).toThrow(/maxCont is not an option of thing/);
    expect(resolveOptions('thing', specs, { streamName: 's' }, { otherKeys: ['streamName'] }).maxCount).toBe(500);
  });

  it('runs cross-field checks on the resolved values', () => {
    const crossChecks = [(v: { maxCount: number; rate: number }) => (v.maxCount > v.rate ? 'maxCount must not exceed rate' : undefined)];
    expect(() => resolveOptions('thing', specs, { rate: 10 }, { crossChecks })).toThrow(/maxCount must not exceed rate/);
  });
});

describe('renderOptionsTable', () => {
  it('renders one row per option with its default, Java name and meaning', () => {
    expect(renderOptionsTable(specs)).toBe(
      [
        '| option | default | Java name | meaning |',
        '|---|---|---|---|',
        '| `maxCount` | `500` | `CollectionMaxCount` | Records per request. |',
        '| `rate` | `150` |  | Percent of the shard limit. |',
        '| `mode` | `"fast"` |  | How to run. |',
        '| `enabled` | `true` |  | Whether it is on. |',
      ].join('\n'),
    );
  });
});
