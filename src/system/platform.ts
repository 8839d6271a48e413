// Pure facts about the platform dsb runs on, derived from a SystemContext's fields.
import type { SystemContext } from './context.js';

export type WslVersion = 'wsl1' | 'wsl2';

/**
 * WSL2 kernels are named `…-microsoft-standard-WSL2`; WSL1 reports the Windows build, e.g.
 * `4.4.0-19041-Microsoft`. Only meaningful on Linux.
 */
export function detectWsl(system: Pick<SystemContext, 'platform' | 'osRelease'>): WslVersion | null {
  if (system.platform !== 'linux') return null;
  const release = system.osRelease;
  if (/microsoft-standard-wsl2|wsl2/i.test(release)) return 'wsl2';
  if (/microsoft/i.test(release)) return 'wsl1';
  return null;
}

/** Compares dotted versions numerically (`v22.3.0`, `2.1.331`); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a
    .replace(/^v/, '')
    .split(/[.+-]/)
    .map((p) => Number.parseInt(p, 10) || 0);
  const pb = b
    .replace(/^v/, '')
    .split(/[.+-]/)
    .map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length, 3); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
