import { describe, expect, it } from 'vitest';
import { isRecord } from '../../src/util/is-record.js';

describe('isRecord', () => {
  it('accepts JSON objects, whatever their prototype', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord({ a: 1 })).toBe(true);
    expect(isRecord(Object.create(null))).toBe(true);
  });
  it.each([null, undefined, [], [{}], 'x', 0, true])('rejects %j', (value) => {
    expect(isRecord(value)).toBe(false);
  });
});
