// WSL detection (src/system/platform.ts): the one function every check (and init) asks, from the
// kernel release names WSL 1 and WSL 2 really report.
import { describe, expect, it } from 'vitest';
import { detectWsl } from '../../src/system/platform.js';

describe('detectWsl', () => {
  it('WSL 2: the kernel is named …-microsoft-standard-WSL2', () => {
    expect(detectWsl({ platform: 'linux', osRelease: '5.15.167.4-microsoft-standard-WSL2' })).toBe('wsl2');
  });

  it('WSL 1: the release is the Windows build followed by "Microsoft"', () => {
    expect(detectWsl({ platform: 'linux', osRelease: '4.4.0-22631-Microsoft' })).toBe('wsl1');
  });

  it('plain Linux, macOS and Windows itself are not WSL', () => {
    expect(detectWsl({ platform: 'linux', osRelease: '6.8.0-49-generic' })).toBeNull();
    expect(detectWsl({ platform: 'darwin', osRelease: '24.6.0' })).toBeNull();
    expect(detectWsl({ platform: 'win32', osRelease: '10.0.22631' })).toBeNull();
  });
});
