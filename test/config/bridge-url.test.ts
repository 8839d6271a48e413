import { expect, it } from 'vitest';
import { bridgeUrlFor } from '../../src/config/bridge-url.js';

it('a wildcard bind is reached over loopback of its family; other hosts as they are, IPv6 bracketed', () => {
  expect(bridgeUrlFor({ host: '0.0.0.0', port: 3000 })).toBe('http://127.0.0.1:3000');
  expect(bridgeUrlFor({ host: '', port: 3000 })).toBe('http://127.0.0.1:3000');
  expect(bridgeUrlFor({ host: '*', port: 3000 })).toBe('http://127.0.0.1:3000');
  expect(bridgeUrlFor({ host: '::', port: 3000 })).toBe('http://[::1]:3000');
  expect(bridgeUrlFor({ host: '[::]', port: 3000 })).toBe('http://[::1]:3000');
  expect(bridgeUrlFor({ host: '::1', port: 3001 })).toBe('http://[::1]:3001');
  expect(bridgeUrlFor({ host: '[::1]', port: 3001 })).toBe('http://[::1]:3001');
  expect(bridgeUrlFor({ host: '127.0.0.1', port: 3001 })).toBe('http://127.0.0.1:3001');
});
