// The files under templates/ (shipped with the package), read through the SystemContext.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SystemContext } from '../system/context.js';

export const TEMPLATE_FILES = {
  modelfile: 'Modelfile',
  claudeSettings: 'claude-settings.json',
  vscodeSettings: 'vscode-settings.jsonc',
  modelServerSh: 'start-model-server.sh',
  modelServerPs1: 'start-model-server.ps1',
  bridgeSh: 'start-bridge.sh',
  bridgePs1: 'start-bridge.ps1',
  systemdUnit: 'dsb-bridge.service',
  windowsTask: 'dsb-bridge-task.ps1',
  firewallLinux: 'firewall-linux.sh',
  firewallWindows: 'firewall-windows.ps1',
} as const;

export type Templates = Record<keyof typeof TEMPLATE_FILES, string>;

/** templates/ at the package root: two levels up from src/shell and from dist/shell alike. */
export function templatesDir(): string {
  return fileURLToPath(new URL('../../templates/', import.meta.url));
}

export async function loadTemplates(
  ctx: Pick<SystemContext, 'readFile'>,
  dir = templatesDir(),
): Promise<Templates> {
  const out = {} as Templates;
  for (const [key, file] of Object.entries(TEMPLATE_FILES) as Array<[keyof Templates, string]>) {
    const text = await ctx.readFile(path.join(dir, file));
    if (text === undefined) throw new Error(`dsb is damaged: template ${path.join(dir, file)} is missing`);
    out[key] = text;
  }
  return out;
}
