import { describe, expect, it } from 'vitest';
import { shellFor, windowsAtHand } from '../../src/shell/kind.js';

describe('the one sh-or-PowerShell decision', () => {
  it('PowerShell on Windows only; WSL and macOS type sh', () => {
    expect(shellFor({ platform: 'win32' })).toBe('powershell');
    expect(shellFor({ platform: 'linux' })).toBe('sh');
    expect(shellFor({ platform: 'darwin' })).toBe('sh');
  });

  it('Windows is at hand on Windows and in WSL, not on plain Linux or macOS', () => {
    expect(windowsAtHand({ platform: 'win32', isWsl: false })).toBe(true);
    expect(windowsAtHand({ platform: 'linux', isWsl: true })).toBe(true);
    expect(windowsAtHand({ platform: 'linux', isWsl: false })).toBe(false);
    expect(windowsAtHand({ platform: 'darwin', isWsl: false })).toBe(false);
  });
});
