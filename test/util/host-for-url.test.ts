import { expect, it } from 'vitest';
import { hostForUrl } from '../../src/util/host-for-url.js';

it('brackets an IPv6 literal once; names and IPv4 stay as they are', () => {
  expect(hostForUrl('::1')).toBe('[::1]');
  expect(hostForUrl('fe80::1')).toBe('[fe80::1]');
  expect(hostForUrl('[::1]')).toBe('[::1]');
  expect(hostForUrl('127.0.0.1')).toBe('127.0.0.1');
  expect(hostForUrl('localhost')).toBe('localhost');
});
