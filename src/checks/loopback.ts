// Loopback pitfalls: `localhost` may resolve to ::1 first while llama-server and the bridge listen on
// 127.0.0.1 only; the bridge and Claude Code's base URL should therefore use 127.0.0.1. Also: is the
// bridge port free or held by the bridge itself, and is it inside a Windows excluded port range
// (Hyper-V / WSL reserve ranges that cannot be bound)?

import { detectWsl } from '../system/platform.js';
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

type Problem = { level: 'fail' | 'warn'; text: string; fix?: Fix };

/** ANTHROPIC_BASE_URL, the upstream and the bridge should say 127.0.0.1: localhost may be ::1 first. */
async function localhostProblems(ctx: CheckContext, v6First: boolean): Promise<Problem[]> {
  const bridge = urlParts(ctx.bridgeUrl);
  const upstream = urlParts(ctx.upstreamUrl);
  const sources = await claudeEnvSources(ctx);
  const base = effectiveValue(sources, 'ANTHROPIC_BASE_URL');
  const baseParts = base ? urlParts(base.value) : undefined;
  const localhostUsers: Array<[string, string]> = [];
  if (baseParts?.host === 'localhost') localhostUsers.push(['ANTHROPIC_BASE_URL', base!.value]);
  if (upstream?.host === 'localhost') localhostUsers.push(['the upstream URL', ctx.upstreamUrl]);
  if (bridge?.host === 'localhost') localhostUsers.push(['the bridge address', ctx.bridgeUrl]);
  return localhostUsers.map(([what, url]) => {
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
    return { level, text, fix };
  });
}

/** The bridge port: free (bridge not running), held by the bridge (answers /health), or taken by something else. */
async function bridgePortState(
  ctx: CheckContext,
  bridge: { host: string; port: number },
  details: string[],
  problems: Problem[],
): Promise<'free' | 'bridge' | 'other'> {
  const bindHost = bridge.host === 'localhost' ? '127.0.0.1' : bridge.host;
  if (await ctx.system.portFree(bindHost, bridge.port)) {
    details.push(`bridge port ${bridge.port} is free (the bridge is not running)`);
    return 'free';
  }
  const json = jsonOf(await tryHttp(ctx, `${ctx.bridgeUrl}/health`));
  const ours = isObject(json) && (typeof json.status === 'string' || 'upstreams' in json);
  if (ours) {
    details.push(`bridge port ${bridge.port} is held by the bridge`);
    return 'bridge';
  }
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
  return 'other';
}

/**
 * Windows (and WSL through interop) reserve port ranges for Hyper-V / WSL: binding there fails.
 * Undefined when netsh is not there to ask (not Windows or WSL, or it failed).
 */
async function excludedPortRanges(ctx: CheckContext): Promise<PortRange[] | undefined> {
  const windows = ctx.system.platform === 'win32';
  if (!windows && !detectWsl(ctx.system)) return undefined;
  const netsh = await ctx.system.exec(
    windows ? 'netsh' : 'netsh.exe',
    ['interface', 'ipv4', 'show', 'excludedportrange', 'protocol=tcp'],
    { timeoutMs: 5_000 },
  );
  return netsh.exitCode === 0 ? parseExcludedPortRanges(netsh.stdout) : undefined;
}

/** The bridge port, and a local upstream's, inside an excluded range. */
function excludedPortProblems(
  ranges: PortRange[],
  bridge: { port: number },
  upstream: { host: string; port: number } | undefined,
): Problem[] {
  const ports: Array<[string, number]> = [['bridge', bridge.port]];
  if (upstream && (upstream.host === '127.0.0.1' || upstream.host === 'localhost'))
    ports.push(['upstream', upstream.port]);
  const problems: Problem[] = [];
  for (const [what, port] of ports) {
    const hit = ranges.find((r) => port >= r.start && port <= r.end);
    if (!hit) continue;
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
  return problems;
}

export const loopbackCheck: Check = {
  id: 'loopback',
  title: 'Loopback and ports',
  required: true,
  description:
    'What localhost resolves to (both families), that the bridge and base URLs use 127.0.0.1, the bridge port is free or ours, Windows excluded port ranges.',
  async run(ctx): Promise<CheckOutcome> {
    const details: string[] = [];
    const problems: Problem[] = [];
    const addresses = await ctx.system.dnsLookup('localhost');
    const first = addresses[0];
    details.push(
      `localhost → ${addresses.length ? addresses.map((a) => a.address).join(', ') : 'does not resolve'}`,
    );
    if (addresses.length === 0) {
      problems.push({
        level: 'warn',
        text: 'localhost does not resolve: check /etc/hosts (or C:\\Windows\\System32\\drivers\\etc\\hosts)',
      });
    }
    problems.push(...(await localhostProblems(ctx, first?.family === 6)));

    const bridge = urlParts(ctx.bridgeUrl);
    const data: Record<string, unknown> = {
      localhost: addresses,
      bridgePort: bridge?.port ?? null,
      bridgePortState: null as string | null,
    };
    if (bridge) {
      data.bridgePortState = await bridgePortState(ctx, bridge, details, problems);
      const ranges = await excludedPortRanges(ctx);
      if (ranges) {
        data.excludedPortRanges = ranges;
        problems.push(...excludedPortProblems(ranges, bridge, urlParts(ctx.upstreamUrl)));
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
