// Loopback pitfalls: `localhost` may resolve to ::1 first while llama-server and the bridge listen on
// 127.0.0.1 only; the bridge and Claude Code's base URL should therefore use 127.0.0.1. Also: is the
// bridge port free or held by the bridge itself, and is it inside a Windows excluded port range
// (Hyper-V / WSL reserve ranges that cannot be bound)?

import { suggestBridgePort } from './bridge-port.js';
import { claudeEnvSources, effectiveValue, updateClaudeUserEnv } from './claude-env.js';
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import { isObject, jsonOf, tryHttp, urlParts } from './util.js';

export interface PortRange {
  start: number;
  end: number;
}

/** `netsh interface ipv4 show excludedportrange protocol=tcp`: rows "  50000  50059  *". */
export function parseExcludedPortRanges(stdout: string): PortRange[] {
  const out: PortRange[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^\s*(\d+)\s+(\d+)\s*\*?\s*$/);
    if (m) out.push({ start: Number(m[1]), end: Number(m[2]) });
  }
  return out;
}

function portInUseCommand(ctx: CheckContext, port: number): string {
  switch (ctx.system.platform) {
    case 'win32':
      return `Get-NetTCPConnection -LocalPort ${port} -State Listen | Select-Object OwningProcess, @{n='Process';e={(Get-Process -Id $_.OwningProcess).ProcessName}}`;
    case 'darwin':
      return `lsof -nP -iTCP:${port} -sTCP:LISTEN`;
    default:
      return `ss -ltnp 'sport = :${port}'`;
  }
}

export const loopbackCheck: Check = {
  id: 'loopback',
  title: 'Loopback and ports',
  required: true,
  description:
    'What localhost resolves to (both families), that the bridge and base URLs use 127.0.0.1, the bridge port is free or ours, Windows excluded port ranges.',
  async run(ctx): Promise<CheckOutcome> {
    const details: string[] = [];
    const problems: Array<{ level: 'fail' | 'warn'; text: string; fix?: Fix }> = [];
    const addresses = await ctx.system.dnsLookup('localhost');
    const first = addresses[0];
    details.push(
      `localhost → ${addresses.length ? addresses.map((a) => a.address).join(', ') : 'does not resolve'}`,
    );
    const v6First = first?.family === 6;

    const bridge = urlParts(ctx.bridgeUrl);
    const upstream = urlParts(ctx.upstreamUrl);
    const sources = await claudeEnvSources(ctx);
    const base = effectiveValue(sources, 'ANTHROPIC_BASE_URL');
    const baseParts = base ? urlParts(base.value) : undefined;

    if (addresses.length === 0) {
      problems.push({
        level: 'warn',
        text: 'localhost does not resolve: check /etc/hosts (or C:\\Windows\\System32\\drivers\\etc\\hosts)',
      });
    }
    const localhostUsers: Array<[string, string]> = [];
    if (baseParts?.host === 'localhost') localhostUsers.push(['ANTHROPIC_BASE_URL', base!.value]);
    if (upstream?.host === 'localhost') localhostUsers.push(['the upstream URL', ctx.upstreamUrl]);
    if (bridge?.host === 'localhost') localhostUsers.push(['the bridge address', ctx.bridgeUrl]);
    for (const [what, url] of localhostUsers) {
      const level = v6First ? 'fail' : 'warn';
      const text = v6First
        ? `${what} uses localhost (${url}), which resolves to ::1 first here, while the servers listen on 127.0.0.1`
        : `${what} uses localhost (${url}); use 127.0.0.1: localhost can resolve to ::1 (IPv6) where nothing listens`;
      const fix: Fix =
        what === 'ANTHROPIC_BASE_URL'
          ? {
              description: 'use 127.0.0.1 in ANTHROPIC_BASE_URL',
              commands: ['dsb doctor loopback --fix'],
              apply: (c, options) =>
                updateClaudeUserEnv(
                  c,
                  { ANTHROPIC_BASE_URL: base!.value.replace('localhost', '127.0.0.1') },
                  options,
                ),
            }
          : {
              description: `use 127.0.0.1 instead of localhost in ${what}`,
              commands: [`dsb doctor --upstream ${url.replace('localhost', '127.0.0.1')}`],
            };
      problems.push({ level, text, fix });
    }

    // The bridge port: free (bridge not running), held by the bridge (answers /health), or taken by something else.
    const data: Record<string, unknown> = {
      localhost: addresses,
      bridgePort: bridge?.port ?? null,
      bridgePortState: null as string | null,
    };
    if (bridge) {
      const bindHost = bridge.host === 'localhost' ? '127.0.0.1' : bridge.host;
      const free = await ctx.system.portFree(bindHost, bridge.port);
      if (free) {
        data.bridgePortState = 'free';
        details.push(`bridge port ${bridge.port} is free (the bridge is not running)`);
      } else {
        const health = await tryHttp(ctx, `${ctx.bridgeUrl}/health`);
        const json = jsonOf(health);
        const ours = isObject(json) && (typeof json.status === 'string' || 'upstreams' in json);
        data.bridgePortState = ours ? 'bridge' : 'other';
        if (ours) details.push(`bridge port ${bridge.port} is held by the bridge`);
        else {
          problems.push({
            level: 'fail',
            text: `port ${bridge.port} is taken by another program (it does not answer like the bridge)`,
            fix: {
              description: `find and stop that program, or run the bridge on another port (and point ANTHROPIC_BASE_URL there)`,
              commands: [
                portInUseCommand(ctx, bridge.port),
                `dsb serve --port ${await suggestBridgePort(ctx, bindHost, bridge.port)}`,
              ],
            },
          });
        }
      }
    }

    // Windows (and WSL through interop) reserve port ranges for Hyper-V / WSL: binding there fails.
    const wantsNetsh = ctx.system.platform === 'win32' || /microsoft/i.test(ctx.system.osRelease);
    if (wantsNetsh && bridge) {
      const netsh = await ctx.system.exec(
        ctx.system.platform === 'win32' ? 'netsh' : 'netsh.exe',
        ['interface', 'ipv4', 'show', 'excludedportrange', 'protocol=tcp'],
        {
          timeoutMs: 5_000,
        },
      );
      if (netsh.exitCode === 0) {
        const ranges = parseExcludedPortRanges(netsh.stdout);
        data.excludedPortRanges = ranges;
        const ports: Array<[string, number]> = [['bridge', bridge.port]];
        if (upstream && (upstream.host === '127.0.0.1' || upstream.host === 'localhost'))
          ports.push(['upstream', upstream.port]);
        for (const [what, port] of ports) {
          const hit = ranges.find((r) => port >= r.start && port <= r.end);
          if (hit) {
            problems.push({
              level: 'fail',
              text: `the ${what} port ${port} is inside a Windows excluded port range (${hit.start}-${hit.end}, reserved by Hyper-V/WSL): binding it fails`,
              fix: {
                description:
                  'pick a port outside the excluded ranges, or restart the NAT driver that reserved it (administrator PowerShell)',
                commands: [
                  what === 'bridge'
                    ? `dsb serve --port ${port === 3000 ? 3100 : port + 100}`
                    : '# start the model server with another --port',
                  'net stop winnat',
                  'net start winnat',
                ],
              },
            });
          }
        }
      }
    }

    for (const p of problems) details.push(`${p.level === 'fail' ? '✗' : '!'} ${p.text}`);
    const worst = problems.find((p) => p.level === 'fail') ?? problems[0];
    if (worst) {
      return { status: worst.level, summary: worst.text, details, data, fix: worst.fix };
    }
    return {
      status: 'pass',
      summary: `127.0.0.1 everywhere; localhost → ${first?.address ?? '?'}${data.bridgePortState === 'bridge' ? '; the bridge holds its port' : ''}`,
      details,
      data,
    };
  },
};
