// HTTP proxies swallowing loopback traffic: with HTTP(S)_PROXY / ALL_PROXY set (shell or Claude Code
// settings) and NO_PROXY not covering 127.0.0.1, localhost and ::1, Claude Code sends its requests for
// the bridge to the proxy. System proxies (macOS `scutil --proxy`, Windows WinINET) are reported too.
import { claudeEnvSources, definitionsOf, updateClaudeUserEnv } from './claude-env.js';
import { setEnvCommand, shellOf } from './fix-commands.js';
import type { Check, CheckContext, CheckOutcome } from './types.js';
import { urlParts } from './util.js';

export const LOOPBACK_NO_PROXY = ['127.0.0.1', 'localhost', '::1'];
const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

/** Whether a NO_PROXY list exempts `host` (exact names, `*`, `.suffix`, `*.suffix` and IPv4 CIDR). */
export function noProxyCovers(list: string, host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return list
    .split(/[,\s]+/)
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      // "[::1]:3000" / "[::1]" → "::1"; "host:3000" → "host"; a bare IPv6 address keeps its colons.
      const bracketed = entry.match(/^\[([^\]]+)\](?::\d+)?$/);
      const bare = bracketed
        ? bracketed[1]!
        : entry.split(':').length === 2
          ? entry.replace(/:\d+$/, '')
          : entry;
      if (bare === h) return true;
      if (bare.startsWith('*.') || bare.startsWith('.')) return h.endsWith(bare.replace(/^\*/, ''));
      const cidr = bare.match(/^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/);
      if (cidr && /^\d+\.\d+\.\d+\.\d+$/.test(h)) {
        const toInt = (ip: string) => ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
        const bits = Number(cidr[2]);
        const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
        return (toInt(cidr[1]!) & mask) === (toInt(h) & mask);
      }
      return false;
    });
}

export interface SystemProxy {
  enabled: boolean;
  server?: string;
  exceptions: string[];
}

/** `scutil --proxy`: "HTTPEnable : 1", "HTTPProxy : 10.0.0.1", "ExceptionsList : <array> { 0 : *.local … }". */
export function parseScutilProxy(stdout: string): SystemProxy {
  const val = (key: string) => stdout.match(new RegExp(`^\\s*${key}\\s*:\\s*(.+)$`, 'm'))?.[1]?.trim();
  const httpOn = val('HTTPEnable') === '1';
  const httpsOn = val('HTTPSEnable') === '1';
  const socksOn = val('SOCKSEnable') === '1';
  const pacOn = val('ProxyAutoConfigEnable') === '1';
  const server = httpsOn
    ? `${val('HTTPSProxy')}:${val('HTTPSPort')}`
    : httpOn
      ? `${val('HTTPProxy')}:${val('HTTPPort')}`
      : socksOn
        ? `socks ${val('SOCKSProxy')}:${val('SOCKSPort')}`
        : pacOn
          ? `PAC ${val('ProxyAutoConfigURLString')}`
          : undefined;
  const block = stdout.match(/ExceptionsList\s*:\s*<array>\s*\{([^}]*)\}/)?.[1] ?? '';
  const exceptions = [...block.matchAll(/^\s*\d+\s*:\s*(.+)$/gm)].map((m) => m[1]!.trim());
  return { enabled: httpOn || httpsOn || socksOn || pacOn, server, exceptions };
}

/** `reg query "HKCU\…\Internet Settings"`: ProxyEnable REG_DWORD 0x1, ProxyServer, ProxyOverride. */
export function parseWindowsInternetSettings(stdout: string): SystemProxy {
  const val = (key: string) =>
    stdout.match(new RegExp(`^\\s*${key}\\s+REG_\\w+\\s+(.*)$`, 'mi'))?.[1]?.trim();
  const enabled = /^0x0*1$/i.test(val('ProxyEnable') ?? '');
  return {
    enabled,
    server: val('ProxyServer'),
    exceptions: (val('ProxyOverride') ?? '').split(';').filter(Boolean),
  };
}

async function systemProxy(ctx: CheckContext): Promise<SystemProxy | undefined> {
  if (ctx.system.platform === 'darwin') {
    const r = await ctx.system.exec('scutil', ['--proxy'], { timeoutMs: 3_000 });
    return r.exitCode === 0 ? parseScutilProxy(r.stdout) : undefined;
  }
  if (ctx.system.platform === 'win32') {
    const r = await ctx.system.exec(
      'reg',
      ['query', 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'],
      { timeoutMs: 3_000 },
    );
    return r.exitCode === 0 ? parseWindowsInternetSettings(r.stdout) : undefined;
  }
  return undefined;
}

export const proxyEnvCheck: Check = {
  id: 'proxy-env',
  title: 'Proxy environment',
  required: true,
  description:
    'HTTP(S)_PROXY / ALL_PROXY set without NO_PROXY covering 127.0.0.1, localhost and ::1 (shell and Claude Code settings); system proxy settings.',
  async run(ctx): Promise<CheckOutcome> {
    const sources = await claudeEnvSources(ctx);
    const details: string[] = [];
    const proxies = PROXY_VARS.flatMap((v) =>
      definitionsOf(sources, v)
        .filter((d) => d.value)
        .map((d) => ({ name: v, ...d })),
    );
    const noProxies = ['NO_PROXY', 'no_proxy'].flatMap((v) =>
      definitionsOf(sources, v).map((d) => ({ name: v, ...d })),
    );
    const noProxyValue = noProxies.map((d) => d.value).join(',');
    for (const p of proxies)
      details.push(`${p.name}=${p.value.replace(/\/\/[^@/]*@/, '//***@')} (${p.source.name})`);
    for (const n of noProxies) details.push(`${n.name}=${n.value} (${n.source.name})`);

    const bridgeHost = urlParts(ctx.bridgeUrl)?.host;
    const mustBypass = [...new Set([...LOOPBACK_NO_PROXY, ...(bridgeHost ? [bridgeHost] : [])])];
    const uncovered = mustBypass.filter((h) => !noProxyCovers(noProxyValue, h));
    const sys = await systemProxy(ctx);
    const data: Record<string, unknown> = {
      proxies: proxies.map((p) => ({ name: p.name, source: p.source.name })),
      noProxy: noProxyValue || null,
      uncovered,
      systemProxy: sys ?? null,
    };
    if (sys?.enabled)
      details.push(
        `system proxy: ${sys.server ?? 'on'}; bypass list: ${sys.exceptions.join(', ') || '(empty)'}`,
      );

    if (proxies.length && uncovered.length) {
      const merged = [
        ...new Set([
          ...noProxyValue
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          ...mustBypass,
        ]),
      ].join(',');
      const shell = shellOf(ctx);
      return {
        status: 'fail',
        summary: `${proxies[0]!.name} is set but NO_PROXY does not cover ${uncovered.join(', ')}: requests to the bridge go to the proxy`,
        details,
        data,
        fix: {
          description:
            "exempt loopback from the proxy in your shell profile and in Claude Code's settings (the fix writes the latter)",
          commands: [setEnvCommand('NO_PROXY', merged, shell), setEnvCommand('no_proxy', merged, shell)],
          apply: (c, options) => updateClaudeUserEnv(c, { NO_PROXY: merged }, options),
        },
      };
    }
    if (
      sys?.enabled &&
      !LOOPBACK_NO_PROXY.some((h) => sys.exceptions.some((e) => e.toLowerCase() === h || e === '<local>'))
    ) {
      return {
        status: 'warn',
        summary: `a system proxy is on (${sys.server ?? 'configured'}) and its bypass list does not name 127.0.0.1 or localhost`,
        details,
        data,
        fix: {
          description:
            'add 127.0.0.1, localhost and ::1 to the proxy bypass list (apps that use the system proxy, such as VS Code, then reach the bridge directly)',
          commands:
            ctx.system.platform === 'darwin'
              ? ['networksetup -setproxybypassdomains Wi-Fi 127.0.0.1 localhost ::1 "*.local" 169.254/16']
              : [
                  '# Settings → Network & internet → Proxy → "Use a proxy server" → add 127.0.0.1;localhost;::1 to the exceptions',
                ],
        },
      };
    }
    return {
      status: 'pass',
      summary: proxies.length
        ? `proxy set, NO_PROXY covers ${mustBypass.join(', ')}`
        : 'no proxy variables set',
      details,
      data,
    };
  },
};
