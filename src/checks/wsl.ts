// WSL: on Windows, is WSL installed with version 2 as default and the Virtual Machine Platform
// enabled (`wsl.exe --status`, `wsl.exe --list --verbose`, `dism`, CIM)? Inside Linux: WSL1 or WSL2
// (kernel release), NAT or mirrored networking (`wslinfo --networking-mode`), and what that means for
// reaching a model server that runs on the Windows side.
import { detectWsl } from '../system/platform.js';
import type { Check, CheckContext, CheckOutcome } from './types.js';
import { isLoopback, urlParts } from './util.js';

/** wsl.exe prints UTF-16LE unless WSL_UTF8=1; both are handled. */
export function decodeWslOutput(text: string): string {
  return text
    .replace(/\u0000/g, '')
    .replace(/^\uFEFF/, '')
    .replace(/\r/g, '');
}

export interface WslStatus {
  installed: boolean;
  defaultVersion?: 1 | 2;
  defaultDistribution?: string;
  /** wsl --status said the Virtual Machine Platform is missing. */
  vmpMissing: boolean;
}

export function parseWslStatus(stdout: string, exitCode: number | null): WslStatus {
  const text = decodeWslOutput(stdout);
  const notInstalled =
    /is not installed|wsl\.exe --install|not have any installed distributions/i.test(text) &&
    !/Default Version/i.test(text);
  const version =
    text.match(/Default Version\s*:\s*([12])/i)?.[1] ?? text.match(/version\s*:\s*([12])\s*$/im)?.[1];
  const distro = text.match(/Default Distribution\s*:\s*(.+)$/im)?.[1]?.trim();
  return {
    installed: !notInstalled && (exitCode === 0 || Boolean(version)),
    defaultVersion: version ? (Number(version) as 1 | 2) : undefined,
    defaultDistribution: distro,
    vmpMissing: /Virtual Machine Platform/i.test(text) && /enable|not supported|not installed/i.test(text),
  };
}

export interface WslDistro {
  name: string;
  state: string;
  version: number;
  isDefault: boolean;
}

/** `wsl --list --verbose`: "  NAME  STATE  VERSION" then "* Ubuntu  Running  2". */
export function parseWslList(stdout: string): WslDistro[] {
  const out: WslDistro[] = [];
  for (const line of decodeWslOutput(stdout).split('\n')) {
    const m = line.match(/^\s*(\*)?\s*(\S+)\s+(\S+)\s+([12])\s*$/);
    if (m && m[2] !== 'NAME')
      out.push({ name: m[2]!, state: m[3]!, version: Number(m[4]), isDefault: Boolean(m[1]) });
  }
  return out;
}

/** `dism /get-featureinfo` "State : Enabled"; CIM InstallState 1 = enabled, 2 = disabled, 3 = absent. */
export function parseFeatureState(dismOrCim: string): 'enabled' | 'disabled' | 'pending' | undefined {
  const text = dismOrCim.trim();
  const state = text
    .match(/^\s*State\s*:\s*(.+)$/im)?.[1]
    ?.trim()
    .toLowerCase();
  if (state)
    return state.includes('pending') ? 'pending' : state.startsWith('enabled') ? 'enabled' : 'disabled';
  if (/^1$/.test(text)) return 'enabled';
  if (/^[23]$/.test(text)) return 'disabled';
  return undefined;
}

async function virtualMachinePlatform(ctx: CheckContext): Promise<{ state?: string; via: string }> {
  const dism = await ctx.system.exec(
    'dism.exe',
    ['/online', '/get-featureinfo', '/featurename:VirtualMachinePlatform'],
    { timeoutMs: 10_000 },
  );
  const fromDism = dism.exitCode === 0 ? parseFeatureState(dism.stdout) : undefined;
  if (fromDism) return { state: fromDism, via: 'dism' };
  // dism needs an elevated prompt (error 740); CIM answers without elevation.
  const cim = await ctx.system.exec(
    'powershell.exe',
    [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      '(Get-CimInstance -ClassName Win32_OptionalFeature -Filter "Name=\'VirtualMachinePlatform\'").InstallState',
    ],
    { timeoutMs: 10_000 },
  );
  return {
    state: cim.exitCode === 0 ? parseFeatureState(cim.stdout) : undefined,
    via: 'Win32_OptionalFeature',
  };
}

async function windowsSide(ctx: CheckContext): Promise<CheckOutcome> {
  const env = { WSL_UTF8: '1' };
  const [status, list, vmp] = await Promise.all([
    ctx.system.exec('wsl.exe', ['--status'], { timeoutMs: 10_000, env }),
    ctx.system.exec('wsl.exe', ['--list', '--verbose'], { timeoutMs: 10_000, env }),
    virtualMachinePlatform(ctx),
  ]);
  const parsed = status.notFound
    ? ({ installed: false, vmpMissing: false } as WslStatus)
    : parseWslStatus(status.stdout + status.stderr, status.exitCode);
  const distros = list.exitCode === 0 ? parseWslList(list.stdout) : [];
  const details: string[] = [];
  const data: Record<string, unknown> = {
    installed: parsed.installed,
    defaultVersion: parsed.defaultVersion ?? null,
    defaultDistribution: parsed.defaultDistribution ?? null,
    virtualMachinePlatform: vmp.state ?? null,
    distributions: distros,
  };
  if (vmp.state) details.push(`Virtual Machine Platform: ${vmp.state} (${vmp.via})`);
  for (const d of distros) details.push(`${d.isDefault ? '* ' : ''}${d.name}: WSL${d.version}, ${d.state}`);
  if (!parsed.installed) {
    return {
      status: 'skip',
      summary:
        'WSL is not installed: not needed when Claude Code and the model server run natively on Windows',
      details,
      data,
      fix: {
        description: 'to run them in Linux instead, install WSL 2 (administrator PowerShell, then reboot)',
        commands: ['wsl.exe --install'],
      },
    };
  }
  if (parsed.vmpMissing || vmp.state === 'disabled') {
    return {
      status: 'fail',
      summary: 'the Virtual Machine Platform is not enabled: WSL 2 cannot start',
      details,
      data,
      fix: {
        description:
          'enable it from an administrator PowerShell, enable virtualization in the BIOS/UEFI if needed, then reboot',
        commands: [
          'dism.exe /online /enable-feature /featurename:VirtualMachinePlatform /all /norestart',
          'Restart-Computer',
        ],
      },
    };
  }
  if (vmp.state === 'pending') {
    return {
      status: 'warn',
      summary: 'the Virtual Machine Platform is enabled but needs a reboot',
      details,
      data,
      fix: { description: 'reboot Windows', commands: ['Restart-Computer'] },
    };
  }
  const defaultDistro = distros.find((d) => d.isDefault);
  if (parsed.defaultVersion === 1 || defaultDistro?.version === 1) {
    const name = defaultDistro?.name ?? parsed.defaultDistribution ?? 'Ubuntu';
    return {
      status: 'warn',
      summary: `WSL 1 is in use${defaultDistro ? ` (${defaultDistro.name})` : ''}: no GPU access and slow file I/O`,
      details,
      data,
      fix: {
        description: 'make WSL 2 the default and convert the distribution',
        commands: ['wsl.exe --set-default-version 2', `wsl.exe --set-version ${name} 2`],
      },
    };
  }
  return {
    status: 'pass',
    summary: `WSL ${parsed.defaultVersion ?? 2} is the default${parsed.defaultDistribution ? ` (${parsed.defaultDistribution})` : ''}`,
    details,
    data,
  };
}

/** `ip route show default` → the Windows host's address as seen from a WSL 2 NAT guest. */
export function parseDefaultGateway(stdout: string): string | undefined {
  return stdout.match(/^default via (\d+\.\d+\.\d+\.\d+)/m)?.[1];
}

async function linuxSide(ctx: CheckContext, version: 'wsl1' | 'wsl2'): Promise<CheckOutcome> {
  const distro = ctx.system.env.WSL_DISTRO_NAME;
  const details = [`kernel ${ctx.system.osRelease}${distro ? `, distribution ${distro}` : ''}`];
  if (version === 'wsl1') {
    return {
      status: 'warn',
      summary: 'running in WSL 1: no GPU access for CUDA and slow file I/O',
      details,
      data: { wsl: 1, distribution: distro ?? null },
      fix: {
        description: 'convert the distribution to WSL 2 (from Windows PowerShell), then reopen it',
        commands: [`wsl.exe --set-version ${distro ?? '<distribution>'} 2`],
      },
    };
  }
  const info = await ctx.system.exec('wslinfo', ['--networking-mode'], { timeoutMs: 3_000 });
  const mode = info.exitCode === 0 ? info.stdout.trim().toLowerCase() : undefined;
  const data: Record<string, unknown> = {
    wsl: 2,
    distribution: distro ?? null,
    networkingMode: mode ?? null,
  };
  if (mode === 'mirrored') {
    details.push('mirrored networking: 127.0.0.1 reaches servers on both Windows and Linux');
    return { status: 'pass', summary: 'WSL 2, mirrored networking', details, data };
  }
  details.push(
    mode === 'nat'
      ? 'NAT networking: Windows reaches Linux servers at localhost, but Linux reaches Windows servers only at the host address'
      : 'networking mode unknown (wslinfo not available: an older WSL); assuming NAT',
  );
  // If the upstream is on loopback, does nothing answer here while a server answers on the Windows host?
  const upstream = urlParts(ctx.upstreamUrl);
  if (upstream && isLoopback(upstream.host)) {
    const here = await ctx.system.tcpConnect('127.0.0.1', upstream.port, 1_000);
    if (!here) {
      const route = await ctx.system.exec('ip', ['route', 'show', 'default'], { timeoutMs: 3_000 });
      const gateway = parseDefaultGateway(route.stdout);
      data.windowsHost = gateway ?? null;
      if (gateway && (await ctx.system.tcpConnect(gateway, upstream.port, 1_000))) {
        return {
          status: 'warn',
          summary: `the model server runs on Windows (${gateway}:${upstream.port}), which 127.0.0.1 in WSL 2 NAT mode does not reach`,
          details,
          data,
          fix: {
            description:
              'switch WSL to mirrored networking (Windows 11 22H2+) so 127.0.0.1 works both ways, or use the Windows host address as the upstream (the server must then listen on that address and the firewall allow it)',
            commands: [
              '# in %USERPROFILE%\\.wslconfig on Windows, under [wsl2], add the line: networkingMode=mirrored',
              'wsl.exe --shutdown',
              `dsb doctor --upstream http://${gateway}:${upstream.port}`,
            ],
          },
        };
      }
    }
  }
  return { status: 'pass', summary: `WSL 2, ${mode ?? 'NAT (assumed)'} networking`, details, data };
}

export const wslCheck: Check = {
  id: 'wsl',
  title: 'WSL',
  required: false,
  description:
    'Windows: WSL installed, version 2 default, Virtual Machine Platform enabled. Inside WSL: WSL1 vs WSL2, NAT vs mirrored networking.',
  timeoutMs: 20_000,
  appliesTo(ctx) {
    if (ctx.system.platform === 'win32' || detectWsl(ctx.system)) return true;
    return { reason: `not Windows or WSL (${ctx.system.platform})` };
  },
  async run(ctx) {
    if (ctx.system.platform === 'win32') return windowsSide(ctx);
    const version = detectWsl(ctx.system);
    if (!version) return { status: 'skip', summary: 'not WSL' };
    return linuxSide(ctx, version);
  },
};
