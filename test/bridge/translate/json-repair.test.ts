import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repairToolArguments } from '../../../src/bridge/translate/json-repair.js';

describe('repairToolArguments', () => {
  it('keeps valid arguments as they are', () => {
    expect(repairToolArguments('{"a": 1}')).toEqual({ json: '{"a": 1}', repaired: false });
  });

  it.each([
    ['{', '{}'],
    ['', '{}'],
    ['{"city": "Par', '{"city": "Par"}'],
    ['{"a": 1, "b": [1, 2', '{"a": 1, "b": [1, 2]}'],
    ['{"a": 1, "b":', '{"a": 1, "b":null}'],
    ['{"a": {"x": "y\\', '{"a": {"x": "y\\\\"}}'],
    ['{"a": 1, "b', '{"a": 1}'],
    ['{"a": tru', '{}'],
  ])('repairs %j', (raw, expected) => {
    const out = repairToolArguments(raw);
    expect(out?.json).toBe(expected);
    expect(typeof JSON.parse(out!.json)).toBe('object');
  });

  it('refuses what is not JSON at all', () => {
    expect(repairToolArguments('not json')).toBeUndefined();
    expect(repairToolArguments('[1,2]')).toBeUndefined();
  });

  it('turns every prefix of a valid JSON object into an object (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.nat(), (obj, cut) => {
        const text = JSON.stringify(obj);
        const prefix = text.slice(0, cut % (text.length + 1));
        const out = repairToolArguments(prefix);
        expect(out).toBeDefined();
        const parsed = JSON.parse(out!.json);
        expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
