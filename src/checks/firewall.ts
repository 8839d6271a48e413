// Firewalls only matter for non-loopback traffic: an upstream on another machine (or on the Windows
// host seen from WSL 2 NAT), or a bridge bound to a LAN address. Reads the firewall state per OS —
// Windows `netsh advfirewall`, Linux ufw / firewalld / nftables, macOS application firewall — and makes
// a real TCP connection to each endpoint.
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import { isLoopback, urlParts } from './util.js';

export interface FirewallState {
  tool: string;
  active: boolean | undefined;
  /** Ports (TCP) an allow rule opens, when the tool lists them. */
  allowedPorts: number[];
  note?: string;
}

/** `ufw status`: "Status: active" then rows like "8080/tcp   ALLOW   Anywhere". */
export function parseUfwStatus(stdout: string): FirewallState | undefined {
  const status = stdout.match(/^Status:\s*(\w+)/m)?.[1];
  if (!status) return undefined;
  const allowed: number[] = [];
  for (const line of stdout.split('\n')) {
    const m = line.match(/^(\d+)(?::(\d+))?(?:\/tcp)?\s+(?:\(v6\)\s+)?ALLOW(?:\s+IN)?\s/);
    if (m) {
      const from = Number(m[1]);
      const to = m[2] ? Number(m[2]) : from;
      for (let p = from; p <= Math.min(to, from + 1000); p++) allowed.push(p);
    }
  }
  return { tool: 'ufw', active: status === 'active', allowedPorts: [...new Set(allowed)] };
}

/** `firewall-cmd --list-ports`: "8080/tcp 3000/tcp". */
export function parseFirewalldPorts(stdout: string): number[] {
  return [...stdout.matchAll(/(\d+)(?:-(\d+))?\/tcp/g)].flatMap((m) => {
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    return Array.from({ length: Math.min(to - from, 1000) + 1 }, (_, i) => from + i);
  });
}

/** `socketfilterfw --getglobalstate`: "Firewall is enabled. (State = 1)". */
export function parseSocketFilterState(stdout: string): boolean | undefined {
  if (/State\s*=\s*[12]|is enabled/i.test(stdout)) return true;
  if (/State\s*=\s*0|is disabled/i.test(stdout)) return false;
  return undefined;
}

/** `netsh advfirewall show allprofiles state`: one "State  ON|OFF" per profile. */
export function parseNetshProfiles(stdout: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  let profile = '';
  for (const line of stdout.split(/\r?\n/)) {
    const p = line.match(/^(\w+) Profile Settings/);
    if (p) profile = p[1]!.toLowerCase();
    const s = line.match(/^State\s+(ON|OFF)/i);
    if (s && profile) out[profile] = s[1]!.toUpperCase() === 'ON';
  }
  return out;
}

export interface NetshRule {
  name: string;
  enabled: boolean;
  direction: string;
  action: string;
  protocol: string;
  localPorts: string;
  profiles: string;
}

/** `netsh advfirewall firewall show rule name=all dir=in`: blocks of "Key:   value" lines. */
export function parseNetshRules(stdout: string): NetshRule[] {
  const rules: NetshRule[] = [];
  let cur: Record<string, string> | undefined;
  const flush = () => {
    if (cur?.['Rule Name']) {
      rules.push({
        name: cur['Rule Name'],
        enabled: /^yes$/i.test(cur.Enabled ?? ''),
        direction: cur.Direction ?? '',
        action: cur.Action ?? '',
        protocol: cur.Protocol ?? '',
        localPorts: cur.LocalPort ?? 'Any',
        profiles: cur.Profiles ?? '',
      });
    }
  };
  for (const line of stdout.split(/\r?\n/)) {
    const m = line.match(/^([A-Za-z ]+?):\s+(.*)$/);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Rule Name') {
      flush();
      cur = {};
    }
    if (cur) cur[key] = value.trim();
  }
  flush();
  return rules;
}

export function portInList(port: number, list: string): boolean {
  if (/^any$/i.test(list.trim())) return true;
  return list.split(',').some((part) => {
    const [a, b] = part.trim().split('-').map(Number);
    return a !== undefined && (b === undefined ? a === port : port >= a && port <= b);
  });
}

async function linuxFirewall(ctx: CheckContext): Promise<FirewallState | undefined> {
  const ufw = await ctx.system.exec('ufw', ['status'], { timeoutMs: 5_000 });
  const parsedUfw = ufw.exitCode === 0 ? parseUfwStatus(ufw.stdout) : undefined;
  if (parsedUfw) return parsedUfw;
  const firewalld = await ctx.system.exec('firewall-cmd', ['--state'], { timeoutMs: 5_000 });
  if (!firewalld.notFound && /running/.test(firewalld.stdout + firewalld.stderr)) {
    const running = /^running/m.test(firewalld.stdout);
    const ports = running
      ? await ctx.system.exec('firewall-cmd', ['--list-ports'], { timeoutMs: 5_000 })
      : undefined;
    return {
      tool: 'firewalld',
      active: running,
      allowedPorts: ports ? parseFirewalldPorts(ports.stdout) : [],
    };
  }
  const nft = await ctx.system.exec('nft', ['list', 'ruleset'], { timeoutMs: 5_000 });
  if (nft.exitCode === 0) {
    const hasInputDrop = /hook input[^\n]*policy drop/.test(nft.stdout);
    const ports = [...nft.stdout.matchAll(/tcp dport (?:\{([^}]*)\}|(\d+))[^\n]*accept/g)].flatMap((m) =>
      (m[1] ?? m[2] ?? '')
        .split(',')
        .map((p) => Number(p.trim()))
        .filter(Number.isFinite),
    );
    return {
      tool: 'nftables',
      active: hasInputDrop,
      allowedPorts: ports,
      note: hasInputDrop ? 'input chain policy drop' : 'no input chain with policy drop',
    };
  }
  if (!ufw.notFound)
    return {
      tool: 'ufw',
      active: undefined,
      allowedPorts: [],
      note: `ufw status needs root: ${(ufw.stderr || ufw.stdout).trim().slice(0, 80)}`,
    };
  return undefined;
}

async function macFirewall(ctx: CheckContext): Promise<FirewallState | undefined> {
  const r = await ctx.system.exec(
    '/usr/libexec/ApplicationFirewall/socketfilterfw',
    ['--getglobalstate', '--getblockall'],
    { timeoutMs: 5_000 },
  );
  if (r.exitCode !== 0 && !r.stdout) return undefined;
  const active = parseSocketFilterState(r.stdout);
  const blockAll = /block all (?:state set to )?enabled|Block all ENABLED/i.test(r.stdout);
  return {
    tool: 'macOS application firewall',
    active,
    allowedPorts: [],
    note: blockAll ? 'block all incoming connections is on' : undefined,
  };
}

async function windowsFirewall(ctx: CheckContext, ports: number[]): Promise<FirewallState | undefined> {
  const profiles = await ctx.system.exec('netsh', ['advfirewall', 'show', 'allprofiles', 'state'], {
    timeoutMs: 5_000,
  });
  if (profiles.exitCode !== 0) return undefined;
  const states = parseNetshProfiles(profiles.stdout);
  // Listing every rule is slow: only done when a non-loopback port matters.
  const rules = ports.length
    ? await ctx.system.exec('netsh', ['advfirewall', 'firewall', 'show', 'rule', 'name=all', 'dir=in'], {
        timeoutMs: 10_000,
      })
    : undefined;
  const parsed = rules?.exitCode === 0 ? parseNetshRules(rules.stdout) : [];
  const allowed = ports.filter((port) =>
    parsed.some(
      (r) =>
        r.enabled &&
        /allow/i.test(r.action) &&
        /^(tcp|any)$/i.test(r.protocol) &&
        portInList(port, r.localPorts) &&
        !/^any$/i.test(r.localPorts),
    ),
  );
  return {
    tool: 'Windows Defender Firewall',
    active: Object.values(states).some(Boolean),
    allowedPorts: allowed,
    note: Object.entries(states)
      .map(([p, on]) => `${p} ${on ? 'on' : 'off'}`)
      .join(', '),
  };
}

function openPortFix(ctx: CheckContext, state: FirewallState | undefined, port: number, what: string): Fix {
  const name = `dsb ${what} ${port}`;
  switch (ctx.system.platform) {
    case 'win32':
      return {
        description: `allow inbound TCP ${port} on private networks (administrator PowerShell) on the machine that runs the ${what}`,
        commands: [
          `New-NetFirewallRule -DisplayName '${name}' -Direction Inbound -Protocol TCP -LocalPort ${port} -Action Allow -Profile Private`,
        ],
      };
    case 'darwin':
      return {
        description: `allow incoming connections for the ${what} program in System Settings → Network → Firewall (or with socketfilterfw)`,
        commands: [
          'sudo /usr/libexec/ApplicationFirewall/socketfilterfw --add "$(command -v llama-server)"',
          'sudo /usr/libexec/ApplicationFirewall/socketfilterfw --unblockapp "$(command -v llama-server)"',
        ],
      };
    default:
      if (state?.tool === 'firewalld') {
        return {
          description: `open TCP ${port} on the machine that runs the ${what}`,
          commands: [`sudo firewall-cmd --add-port=${port}/tcp --permanent`, 'sudo firewall-cmd --reload'],
        };
      }
      if (state?.tool === 'nftables') {
        return {
          description: `accept TCP ${port} in the input chain on the machine that runs the ${what}`,
          commands: [`sudo nft add rule inet filter input tcp dport ${port} accept`],
        };
      }
      return {
        description: `allow TCP ${port} (ufw) on the machine that runs the ${what}`,
        commands: [`sudo ufw allow ${port}/tcp`],
      };
  }
}

export const firewallCheck: Check = {
  id: 'firewall',
  title: 'Firewall',
  required: false,
  description:
    'Windows rule for the port (netsh), ufw/firewalld/nftables on Linux, macOS application firewall; plus a real TCP connect to each endpoint.',
  timeoutMs: 20_000,
  async run(ctx): Promise<CheckOutcome> {
    const endpoints: Array<{ what: string; host: string; port: number }> = [];
    const upstream = urlParts(ctx.upstreamUrl);
    const bridge = urlParts(ctx.bridgeUrl);
    if (upstream) endpoints.push({ what: 'model server', host: upstream.host, port: upstream.port });
    if (bridge) endpoints.push({ what: 'bridge', host: bridge.host, port: bridge.port });
    const remote = endpoints.filter((e) => !isLoopback(e.host) && e.host !== '0.0.0.0');
    const reach = await Promise.all(
      endpoints.map(async (e) => ({
        ...e,
        open: await ctx.system.tcpConnect(e.host === '0.0.0.0' ? '127.0.0.1' : e.host, e.port, 2_000),
      })),
    );
    const details = reach.map(
      (e) => `${e.what} ${e.host}:${e.port}: ${e.open ? 'TCP connect ok' : 'no TCP connection'}`,
    );

    const platform = ctx.system.platform;
    const state =
      platform === 'win32'
        ? await windowsFirewall(
            ctx,
            remote.map((e) => e.port),
          )
        : platform === 'darwin'
          ? await macFirewall(ctx)
          : platform === 'linux'
            ? await linuxFirewall(ctx)
            : undefined;
    if (state)
      details.push(
        `${state.tool}: ${state.active === undefined ? 'state unknown' : state.active ? 'active' : 'inactive'}${state.note ? ` (${state.note})` : ''}`,
      );
    else details.push('no firewall tool found');
    const data = { firewall: state ?? null, endpoints: reach };

    if (remote.length === 0) {
      return {
        status: 'pass',
        summary: `everything is on loopback: firewalls do not filter it${state ? ` (${state.tool} ${state.active ? 'active' : state.active === false ? 'inactive' : 'state unknown'})` : ''}`,
        details,
        data,
      };
    }
    const blocked = reach.filter((e) => !isLoopback(e.host) && e.host !== '0.0.0.0' && !e.open);
    if (blocked.length) {
      const e = blocked[0]!;
      return {
        status: 'warn',
        summary: `cannot open a TCP connection to the ${e.what} at ${e.host}:${e.port}: a firewall, a server bound to 127.0.0.1 only, or a server that is down`,
        details,
        data,
        fix: openPortFix(ctx, state, e.port, e.what),
      };
    }
    // The bridge runs here: when it listens on a LAN address, this machine's firewall must let clients in.
    const lanBridge = remote.find((e) => e.what === 'bridge');
    if (lanBridge && state?.active && !state.allowedPorts.includes(lanBridge.port)) {
      return {
        status: 'warn',
        summary: `${state.tool} is active and no rule allows TCP ${lanBridge.port}: other machines may not reach the bridge`,
        details,
        data,
        fix: openPortFix(ctx, state, lanBridge.port, 'bridge'),
      };
    }
    return {
      status: 'pass',
      summary: `${remote.map((e) => `${e.host}:${e.port}`).join(', ')} reachable through the network`,
      details,
      data,
    };
  },
};
