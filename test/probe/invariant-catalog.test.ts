import { describe, expect, it } from 'vitest';
import { formatViolation, INVARIANTS } from '../../src/probe/invariant-catalog.js';

describe('the invariant catalog', () => {
  it('every invariant id has a description, and formatViolation names id and index', () => {
    for (const [id, text] of Object.entries(INVARIANTS)) {
      expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(text.length).toBeGreaterThan(10);
    }
    expect(formatViolation({ invariant: 'tool-input-valid-json', index: 7, message: 'bad' })).toBe(
      'tool-input-valid-json at event #7: bad',
    );
  });
});
