import { describe, expect, it } from 'vitest';
import { closest, didYouMean } from '../../src/cli/suggest.js';

describe('closest', () => {
  it('finds a typo: a swap, a missing or extra letter, another case', () => {
    expect(closest('prot', ['port', 'host'])).toBe('port');
    expect(closest('hos', ['port', 'host'])).toBe('host');
    expect(closest('PORT', ['port'])).toBe('port');
    expect(closest('upstreams', ['upstream', 'model'])).toBe('upstream');
  });

  it('nothing when no candidate is close enough (a third of the longer name, 1 under 4 letters)', () => {
    expect(closest('xyz', ['port', 'host'])).toBeUndefined();
    expect(closest('ab', ['cd'])).toBeUndefined();
    expect(closest('ab', ['ac'])).toBe('ac');
    expect(closest('anything', [])).toBeUndefined();
  });

  it('the first of equally close candidates', () => {
    expect(closest('bat', ['cat', 'hat'])).toBe('cat');
  });
});

describe('didYouMean', () => {
  it('a parenthesized hint with an optional prefix, or nothing', () => {
    expect(didYouMean('port', '--')).toBe(' (did you mean --port?)');
    expect(didYouMean('serve')).toBe(' (did you mean serve?)');
    expect(didYouMean(undefined, '--')).toBe('');
  });
});
