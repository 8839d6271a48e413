import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';
import { objectsAt, suggestKey } from '../../src/config/suggest-keys.js';

describe('objectsAt', () => {
  const schema = z.object({
    a: z.object({ b: z.number() }).default({ b: 1 }),
    list: z.array(z.object({ x: z.string() })).optional(),
    map: z.record(z.string(), z.object({ y: z.string() })),
    either: z.union([z.string(), z.object({ p: z.string() }), z.object({ q: z.string() })]).nullable(),
  });
  const keysAt = (path: PropertyKey[]) => objectsAt(schema, path).map((s) => Object.keys(s.shape ?? {}));

  it('walks objects, defaults, arrays, records and unions', () => {
    expect(keysAt([])).toEqual([['a', 'list', 'map', 'either']]);
    expect(keysAt(['a'])).toEqual([['b']]);
    expect(keysAt(['list', 0])).toEqual([['x']]);
    expect(keysAt(['map', 'anything'])).toEqual([['y']]);
    expect(keysAt(['either'])).toEqual([['p'], ['q']]);
  });

  it('a path that leads nowhere, or to a value that is not an object, has no objects', () => {
    expect(keysAt(['nope'])).toEqual([]);
    expect(keysAt(['list', 'x'])).toEqual([]); // arrays take numbers
    expect(keysAt(['a', 'b'])).toEqual([]);
  });
});

describe('suggestKey on the dsb config schema', () => {
  it('suggests the key the object at the path allows', () => {
    expect(suggestKey(configSchema, ['server'], 'prot')).toBe('port');
    expect(suggestKey(configSchema, ['upstreams', 0], 'modle')).toBe('model');
    expect(suggestKey(configSchema, [], 'serevr')).toBe('server');
  });

  it('nothing for a key unlike any allowed one', () => {
    expect(suggestKey(configSchema, ['server'], 'qqqqqqqq')).toBeUndefined();
  });
});
