// wsl, loopback, firewall, proxy-env, isolation against recorded outputs of Windows, WSL1, WSL2 (NAT and
// mirrored), Linux (ufw, firewalld, nftables) and macOS tools.
import { describe, expect, it } from 'vitest';
import { firewallCheck } from '../../src/checks/firewall.js';
import { isolationCheck } from '../../src/checks/isolation.js';
import { loopbackCheck } from '../../src/checks/loopback.js';
import { noProxyCovers, proxyEnvCheck } from '../../src/checks/proxy-env.js';
import { runCheck } from '../../src/checks/runner.js';
import type { Check, CheckContext } from '../../src/checks/types.js';
import { parseWslStatus, wslCheck } from '../../src/checks/wsl.js';
import { type FakeSystemOptions, fakeContext, fakeSystem, fixture, nothingListensAt } from './fake-system.js';

/** The default upstream: nothing listens there in the isolation tests (the check asks its kind). */
const UPSTREAM = 'http://127.0.0.1:8080';
/** localhost resolves to 127.0.0.1 only. */
const LOCALHOST_V4: FakeSystemOptions['dns'] = { localhost: [{ address: '127.0.0.1', family: 4 }] };
/** The bridge's port (3000) is free to listen on. */
const BRIDGE_PORT_FREE = { '127.0.0.1:3000': true };
/** Nothing listens on the bridge's (3000) or the upstream's (8080) loopback port. */
const NOTHING_ON_LOOPBACK = { '127.0.0.1:3000': false, '127.0.0.1:8080': false };

const run = (check: Check, ctx: CheckContext) => runCheck(check, ctx, new Map());
const ctx = (o: FakeSystemOptions, extra: Parameters<typeof fakeContext>[1] = {}) =>
  fakeContext(fakeSystem(o), extra);
const out = (name: string, exitCode = 0) => ({ stdout: fixture(name), exitCode });
const WSL2 = '5.15.167.4-microsoft-standard-WSL2';
const WSL1 = '4.4.0-22631-Microsoft';
/** `which -a NAME` / `where.exe NAME` when nothing of that name is on PATH: exit 1, nothing listed. */
const NONE_ON_PATH = { exitCode: 1 };
/** What `nft list ruleset` prints without root (Ubuntu ships nftables next to ufw). */
const NFT_NOT_ROOT = 'netlink: Error: cache initialization failed: Operation not permitted';

describe('wsl', () => {
  const win = (
    status: string,
    list: string,
    dism: { stdout: string; exitCode: number },
    cim?: string,
  ): FakeSystemOptions => ({
    platform: 'win32',
    commands: {
      'wsl.exe --status': { stdout: fixture(status) },
      'wsl.exe --list --verbose': { stdout: fixture(list) },
      'dism.exe': dism,
      ...(cim ? { 'powershell.exe': { stdout: fixture(cim) } } : {}),
    },
  });

  it('Windows: passes with WSL 2 default and the VM platform enabled (dism)', async () => {
    const r = await run(
      wslCheck,
      ctx(
        win('windows/wsl-status-ok.txt', 'windows/wsl-list-verbose.txt', out('windows/dism-vmp-enabled.txt')),
      ),
    );
    expect(r).toMatchObject({ status: 'pass', summary: 'WSL 2 is the default (Ubuntu-24.04)' });
    expect(r.details).toContain('* Ubuntu-24.04: WSL2, Running');
  });

  it('Windows: reads UTF-16 output of wsl.exe', () => {
    const utf16 = Buffer.from(fixture('windows/wsl-status-ok.txt'), 'utf16le').toString('utf8');
    expect(parseWslStatus(utf16, 0)).toMatchObject({
      installed: true,
      defaultVersion: 2,
      defaultDistribution: 'Ubuntu-24.04',
    });
  });

  it('Windows: the VM platform disabled is a problem (dism needs elevation: falls back to CIM)', async () => {
    const r = await run(
      wslCheck,
      ctx(
        win(
          'windows/wsl-status-ok.txt',
          'windows/wsl-list-verbose.txt',
          out('windows/dism-elevation-required.txt', 740),
          'windows/cim-vmp-disabled.txt',
        ),
      ),
    );
    expect(r.status).toBe('warn'); // optional check: its failures are warnings
    expect(r.summary).toBe('the Virtual Machine Platform is not enabled: WSL 2 cannot start');
    expect(r.fix?.commands[0]).toBe(
      'dism.exe /online /enable-feature /featurename:VirtualMachinePlatform /all /norestart',
    );
    expect(r.details[0]).toBe('Virtual Machine Platform: disabled (Win32_OptionalFeature)');
    const fromStatus = await run(
      wslCheck,
      ctx(
        win(
          'windows/wsl-status-vmp-missing.txt',
          'windows/wsl-list-verbose.txt',
          out('windows/dism-vmp-disabled.txt'),
        ),
      ),
    );
    expect(fromStatus.summary).toMatch(/Virtual Machine Platform is not enabled/);
  });

  it('Windows: warns on WSL 1 and skips when WSL is not installed', async () => {
    const v1 = await run(
      wslCheck,
      ctx(
        win(
          'windows/wsl-status-v1.txt',
          'windows/wsl-list-verbose-v1.txt',
          out('windows/dism-vmp-enabled.txt'),
        ),
      ),
    );
    expect(v1.status).toBe('warn');
    expect(v1.fix?.commands).toEqual(['wsl.exe --set-default-version 2', 'wsl.exe --set-version Ubuntu 2']);
    const none = await run(
      wslCheck,
      ctx({
        platform: 'win32',
        commands: {
          'wsl.exe --status': { stdout: fixture('windows/wsl-status-not-installed.txt'), exitCode: 1 },
          // Without WSL, wsl.exe is Windows' installer stub: every subcommand says "not installed".
          'wsl.exe --list --verbose': {
            stdout: fixture('windows/wsl-status-not-installed.txt'),
            exitCode: 1,
          },
          'dism.exe': out('windows/dism-vmp-disabled.txt'),
        },
      }),
    );
    expect(none.status).toBe('skip');
  });

  it('WSL1: warns (no GPU)', async () => {
    const r = await run(wslCheck, ctx({ osRelease: WSL1, env: { WSL_DISTRO_NAME: 'Ubuntu' } }));
    expect(r.status).toBe('warn');
    expect(r.fix?.commands).toEqual(['wsl.exe --set-version Ubuntu 2']);
  });

  it('WSL2 mirrored: passes; NAT: passes unless the server answers only on the Windows host', async () => {
    const mirrored = await run(
      wslCheck,
      ctx({ osRelease: WSL2, commands: { 'wslinfo --networking-mode': out('wsl/wslinfo-mirrored.txt') } }),
    );
    expect(mirrored).toMatchObject({ status: 'pass', summary: 'WSL 2, mirrored networking' });
    const nat = await run(
      wslCheck,
      ctx({
        osRelease: WSL2,
        commands: { 'wslinfo --networking-mode': out('wsl/wslinfo-nat.txt') },
        tcp: { '127.0.0.1:8080': true },
      }),
    );
    expect(nat).toMatchObject({ status: 'pass', summary: 'WSL 2, nat networking' });
    const onWindows = await run(
      wslCheck,
      ctx({
        osRelease: WSL2,
        commands: {
          'wslinfo --networking-mode': out('wsl/wslinfo-nat.txt'),
          'ip route show default': out('wsl/ip-route-nat.txt'),
        },
        tcp: { '127.0.0.1:8080': false, '172.22.80.1:8080': true },
      }),
    );
    expect(onWindows.status).toBe('warn');
    expect(onWindows.summary).toMatch(/runs on Windows \(172\.22\.80\.1:8080\)/);
    expect(onWindows.fix?.commands).toContain('dsb doctor --upstream http://172.22.80.1:8080');
  });

  it('Linux and macOS: skip', async () => {
    expect((await run(wslCheck, ctx({ platform: 'linux' }))).status).toBe('skip');
    expect((await run(wslCheck, ctx({ platform: 'darwin' }))).status).toBe('skip');
  });
});

describe('loopback', () => {
  it('passes on Linux with 127.0.0.1 everywhere and a free bridge port', async () => {
    const r = await run(loopbackCheck, ctx({ dns: LOCALHOST_V4, portFree: BRIDGE_PORT_FREE }));
    expect(r).toMatchObject({ status: 'pass', data: { bridgePortState: 'free' } });
  });

  it('fails when ANTHROPIC_BASE_URL uses localhost and localhost resolves to ::1 first (macOS), with an automatic fix', async () => {
    const system = fakeSystem({
      platform: 'darwin',
      env: { ANTHROPIC_BASE_URL: 'http://localhost:3000' },
      portFree: BRIDGE_PORT_FREE,
      dns: {
        localhost: [
          { address: '::1', family: 6 },
          { address: '127.0.0.1', family: 4 },
        ],
      },
    });
    const c = fakeContext(system);
    const r = await run(loopbackCheck, c);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/resolves to ::1 first/);
    await r.fix!.apply!(c, { dryRun: false });
    expect(JSON.parse(system.written['/Users/dev/.claude/settings.json']!).env.ANTHROPIC_BASE_URL).toBe(
      'http://127.0.0.1:3000',
    );
  });

  it('warns about localhost even when it resolves to 127.0.0.1', async () => {
    const r = await run(
      loopbackCheck,
      ctx({ dns: LOCALHOST_V4, portFree: BRIDGE_PORT_FREE }, { upstreamUrl: 'http://localhost:8080' }),
    );
    expect(r.status).toBe('warn');
  });

  it('fails when another program holds the bridge port, and passes when the bridge holds it', async () => {
    const taken = await run(
      loopbackCheck,
      ctx({
        dns: LOCALHOST_V4,
        portFree: { '127.0.0.1:3000': false, '127.0.0.1:3001': true },
        http: { 'GET http://127.0.0.1:3000/health': { status: 404, body: 'Cannot GET /health' } },
      }),
    );
    expect(taken.status).toBe('fail');
    expect(taken.fix?.commands[0]).toBe("ss -ltnp 'sport = :3000'");
    const ours = await run(
      loopbackCheck,
      ctx({
        dns: LOCALHOST_V4,
        portFree: { '127.0.0.1:3000': false, '127.0.0.1:3001': true },
        http: {
          'GET http://127.0.0.1:3000/health': { body: { status: 'ok', version: '0.1.0', upstreams: [] } },
        },
      }),
    );
    expect(ours).toMatchObject({ status: 'pass', data: { bridgePortState: 'bridge' } });
  });

  it('Windows: fails when the bridge port is in an excluded port range', async () => {
    const r = await run(
      loopbackCheck,
      ctx({
        platform: 'win32',
        dns: LOCALHOST_V4,
        portFree: BRIDGE_PORT_FREE,
        commands: { netsh: out('windows/netsh-excludedportrange-3000.txt') },
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/bridge port 3000 is inside a Windows excluded port range \(2950-3049/);
    expect(r.fix?.commands).toContain('net stop winnat');
    const clean = await run(
      loopbackCheck,
      ctx({
        platform: 'win32',
        dns: LOCALHOST_V4,
        portFree: BRIDGE_PORT_FREE,
        commands: { netsh: out('windows/netsh-excludedportrange.txt') },
      }),
    );
    expect(clean.status).toBe('pass');
  });

  it('WSL2: reads the excluded ranges through netsh.exe interop', async () => {
    const r = await run(
      loopbackCheck,
      ctx({
        osRelease: WSL2,
        dns: LOCALHOST_V4,
        portFree: BRIDGE_PORT_FREE,
        commands: { 'netsh.exe': out('windows/netsh-excludedportrange-3000.txt') },
      }),
    );
    expect(r.status).toBe('fail');
  });
  // loopback applies everywhere (no skip).
});

describe('firewall', () => {
  it('passes when everything is on loopback (Linux ufw active, macOS, Windows)', async () => {
    const linux = await run(
      firewallCheck,
      ctx({ tcp: NOTHING_ON_LOOPBACK, commands: { 'ufw status': out('linux/ufw-active.txt') } }),
    );
    expect(linux).toMatchObject({
      status: 'pass',
      summary: 'everything is on loopback: firewalls do not filter it (ufw active)',
    });
    const mac = await run(
      firewallCheck,
      ctx({
        platform: 'darwin',
        tcp: NOTHING_ON_LOOPBACK,
        commands: {
          '/usr/libexec/ApplicationFirewall/socketfilterfw': out('macos/socketfilterfw-enabled.txt'),
        },
      }),
    );
    expect(mac.summary).toMatch(/macOS application firewall active/);
    const win = await run(
      firewallCheck,
      ctx({
        platform: 'win32',
        tcp: NOTHING_ON_LOOPBACK,
        commands: { 'netsh advfirewall show allprofiles state': out('windows/netsh-allprofiles-state.txt') },
      }),
    );
    expect(win.summary).toMatch(/Windows Defender Firewall active/);
  });

  const remote = { upstreamUrl: 'http://192.168.1.20:8080' };
  /** The remote upstream does not accept a connection; nothing listens on the bridge port. */
  const remoteUnreachable = { '127.0.0.1:3000': false, '192.168.1.20:8080': false };
  it('Linux: warns with the ufw / firewalld / nftables rule when a remote upstream is unreachable', async () => {
    const ufw = await run(
      firewallCheck,
      ctx({ tcp: remoteUnreachable, commands: { 'ufw status': out('linux/ufw-inactive.txt') } }, remote),
    );
    expect(ufw.status).toBe('warn');
    expect(ufw.fix?.commands).toEqual(['sudo ufw allow 8080/tcp']);
    const firewalld = await run(
      firewallCheck,
      ctx(
        {
          tcp: remoteUnreachable,
          commands: {
            ufw: 'notfound',
            'firewall-cmd --state': out('linux/firewalld-state-running.txt'),
            'firewall-cmd --list-ports': out('linux/firewalld-list-ports.txt'),
          },
        },
        remote,
      ),
    );
    expect(firewalld.fix?.commands).toEqual([
      'sudo firewall-cmd --add-port=8080/tcp --permanent',
      'sudo firewall-cmd --reload',
    ]);
    expect((firewalld.data.firewall as { allowedPorts: number[] }).allowedPorts).toContain(3005);
    const nft = await run(
      firewallCheck,
      ctx(
        {
          tcp: remoteUnreachable,
          commands: {
            ufw: 'notfound',
            'firewall-cmd': 'notfound',
            'nft list ruleset': out('linux/nft-ruleset-drop.txt'),
          },
        },
        remote,
      ),
    );
    expect(nft.data.firewall).toMatchObject({
      tool: 'nftables',
      active: true,
      allowedPorts: [22, 8000, 8080],
    });
  });

  it('passes when the remote upstream accepts a TCP connection; ufw without root is reported, not fatal', async () => {
    const r = await run(
      firewallCheck,
      ctx(
        {
          commands: {
            'ufw status': { stderr: fixture('linux/ufw-not-root.txt'), exitCode: 1 },
            'firewall-cmd': 'notfound',
            'nft list ruleset': { stderr: NFT_NOT_ROOT, exitCode: 1 },
          },
          tcp: { '127.0.0.1:3000': false, '192.168.1.20:8080': true },
        },
        remote,
      ),
    );
    expect(r.status).toBe('pass');
    expect(r.details.join('\n')).toMatch(/ufw status needs root/);
  });

  it('Windows: warns when the LAN bridge port has no allow rule; sees the rule for 8080', async () => {
    const commands = {
      'netsh advfirewall show allprofiles state': out('windows/netsh-allprofiles-state.txt'),
      'netsh advfirewall firewall show rule name=all dir=in': out('windows/netsh-rules-in.txt'),
    };
    const r = await run(
      firewallCheck,
      ctx(
        { platform: 'win32', commands, tcp: { '192.168.1.5:3000': true, '127.0.0.1:8080': false } },
        { bridgeUrl: 'http://192.168.1.5:3000' },
      ),
    );
    expect(r.status).toBe('warn');
    expect(r.fix?.commands[0]).toBe(
      "New-NetFirewallRule -DisplayName 'dsb bridge 3000' -Direction Inbound -Protocol TCP -LocalPort 3000 -Action Allow -Profile Private",
    );
    const ok = await run(
      firewallCheck,
      ctx(
        { platform: 'win32', commands, tcp: { '127.0.0.1:3000': false, '192.168.1.5:8080': true } },
        { upstreamUrl: 'http://192.168.1.5:8080' },
      ),
    );
    expect(ok.status).toBe('pass');
    expect((ok.data.firewall as { allowedPorts: number[] }).allowedPorts).toEqual([8080]);
  });

  it('macOS: warns with socketfilterfw commands for an unreachable remote upstream', async () => {
    const r = await run(
      firewallCheck,
      ctx(
        {
          platform: 'darwin',
          tcp: remoteUnreachable,
          commands: {
            '/usr/libexec/ApplicationFirewall/socketfilterfw': out('macos/socketfilterfw-disabled.txt'),
          },
        },
        remote,
      ),
    );
    expect(r.status).toBe('warn');
    expect(r.fix?.commands[0]).toMatch(/socketfilterfw --add/);
  });
  // firewall applies everywhere (no skip).
});

describe('proxy-env', () => {
  it('passes without proxies and with NO_PROXY covering loopback', async () => {
    expect((await run(proxyEnvCheck, ctx({}))).summary).toBe('no proxy variables set');
    const r = await run(
      proxyEnvCheck,
      ctx({ env: { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost,127.0.0.0/8,::1' } }),
    );
    expect(r.status).toBe('pass');
  });

  it('fails when a proxy is set without NO_PROXY for loopback (Linux and Windows syntax), fix writes Claude settings', async () => {
    const system = fakeSystem({ env: { HTTPS_PROXY: 'http://user:pw@proxy.corp:3128', NO_PROXY: '.corp' } });
    const c = fakeContext(system);
    const r = await run(proxyEnvCheck, c);
    expect(r.status).toBe('fail');
    expect(r.summary).toMatch(/HTTPS_PROXY is set but NO_PROXY does not cover 127\.0\.0\.1, localhost, ::1/);
    expect(r.details.join('\n')).not.toContain('pw@');
    expect(r.fix?.commands[0]).toBe('export NO_PROXY=.corp,127.0.0.1,localhost,::1');
    await r.fix!.apply!(c, { dryRun: false });
    expect(JSON.parse(system.written['/home/dev/.claude/settings.json']!).env.NO_PROXY).toBe(
      '.corp,127.0.0.1,localhost,::1',
    );
    const win = await run(
      proxyEnvCheck,
      ctx({
        platform: 'win32',
        env: { HTTP_PROXY: 'http://proxy:8080' },
        commands: { reg: out('windows/reg-internet-settings-direct.txt') },
      }),
    );
    expect(win.fix?.commands[0]).toBe("$env:NO_PROXY = '127.0.0.1,localhost,::1'");
  });

  it('macOS: warns when the system proxy bypass list lacks loopback (scutil), passes when off', async () => {
    const on = await run(
      proxyEnvCheck,
      ctx({ platform: 'darwin', commands: { 'scutil --proxy': out('macos/scutil-proxy-on.txt') } }),
    );
    expect(on.status).toBe('warn');
    expect(on.summary).toMatch(/system proxy is on \(10\.0\.0\.2:3128\)/);
    const off = await run(
      proxyEnvCheck,
      ctx({ platform: 'darwin', commands: { 'scutil --proxy': out('macos/scutil-proxy-off.txt') } }),
    );
    expect(off.status).toBe('pass');
  });

  it('Windows: a WinINET proxy with <local> in the bypass list passes', async () => {
    const r = await run(
      proxyEnvCheck,
      ctx({ platform: 'win32', commands: { reg: out('windows/reg-internet-settings-proxy.txt') } }),
    );
    expect(r.status).toBe('pass');
    expect(r.details.join('\n')).toMatch(/system proxy: proxy\.corp\.example:8080/);
  });

  it('understands NO_PROXY forms', () => {
    expect(noProxyCovers('*', '127.0.0.1')).toBe(true);
    expect(noProxyCovers('127.0.0.0/8', '127.0.0.1')).toBe(true);
    expect(noProxyCovers('10.0.0.0/8', '127.0.0.1')).toBe(false);
    expect(noProxyCovers('[::1]', '::1')).toBe(true);
    expect(noProxyCovers('.example.com', 'api.example.com')).toBe(true);
  });
  // proxy-env applies everywhere (no skip).
});

describe('isolation', () => {
  it('passes with one Node 22+ and one claude (Linux)', async () => {
    const r = await run(
      isolationCheck,
      ctx({
        http: nothingListensAt(UPSTREAM),
        commands: {
          'which -a node': { stdout: '/usr/bin/node\n' },
          'which -a claude': { stdout: '/usr/local/bin/claude\n' },
          'which -a vllm': NONE_ON_PATH,
          'node --version': { stdout: 'v22.12.0\n' },
        },
      }),
    );
    expect(r).toMatchObject({ status: 'pass', summary: 'node v22.12.0, one Claude Code install' });
  });

  it('warns when the node on PATH is older than 22 (macOS)', async () => {
    const r = await run(
      isolationCheck,
      ctx({
        http: nothingListensAt(UPSTREAM),
        platform: 'darwin',
        commands: {
          'which -a node': { stdout: '/usr/local/bin/node\n' },
          'which -a claude': NONE_ON_PATH,
          'which -a vllm': NONE_ON_PATH,
          'node --version': { stdout: 'v20.11.1\n' },
        },
      }),
    );
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/v20\.11\.1: .* need Node 22/);
  });

  it('WSL2: warns when the Windows node leaks into the WSL PATH', async () => {
    const r = await run(
      isolationCheck,
      ctx({
        http: nothingListensAt(UPSTREAM),
        osRelease: WSL2,
        commands: {
          'which -a node': { stdout: '/mnt/c/Program Files/nodejs/node\n/usr/bin/node\n' },
          'which -a claude': NONE_ON_PATH,
          'which -a vllm': NONE_ON_PATH,
          'node --version': { stdout: 'v22.11.0\n' },
        },
      }),
    );
    expect(r.status).toBe('warn');
    expect(r.summary).toMatch(/the Windows one \(\/mnt\/c\/Program Files\/nodejs\/node\)/);
  });

  it('warns on duplicate claude installs (Windows where.exe) and on vLLM outside a venv', async () => {
    const dup = await run(
      isolationCheck,
      ctx({
        http: nothingListensAt(UPSTREAM),
        platform: 'win32',
        commands: {
          'where.exe node': { stdout: 'C:\\Program Files\\nodejs\\node.exe\r\n' },
          'where.exe claude': {
            stdout:
              'C:\\Users\\dev\\AppData\\Roaming\\npm\\claude.cmd\r\nC:\\Users\\dev\\.local\\bin\\claude.exe\r\n',
          },
          'where.exe vllm': {
            stderr: 'INFO: Could not find files for the given pattern(s).\r\n',
            exitCode: 1,
          },
          'node --version': { stdout: 'v22.12.0' },
        },
      }),
    );
    expect(dup.summary).toMatch(/2 Claude Code installs on PATH/);
    const vllm = await run(
      isolationCheck,
      ctx({
        http: nothingListensAt(UPSTREAM),
        commands: {
          'which -a node': { stdout: '/usr/bin/node\n' },
          'which -a claude': { stdout: '/usr/local/bin/claude\n' },
          'which -a vllm': { stdout: '/usr/local/bin/vllm\n' },
          'node --version': { stdout: 'v22.12.0' },
        },
      }),
    );
    expect(vllm.status).toBe('warn');
    expect(vllm.fix?.commands).toContain('uv pip install vllm');
    const venv = await run(
      isolationCheck,
      ctx({
        http: nothingListensAt(UPSTREAM),
        env: { VIRTUAL_ENV: '/home/dev/.venvs/vllm' },
        files: { '/home/dev/.venvs/vllm/pyvenv.cfg': 'home = /usr/bin\n' },
        commands: {
          'which -a node': { stdout: '/usr/bin/node\n' },
          'which -a claude': { stdout: '/usr/local/bin/claude\n' },
          'which -a vllm': { stdout: '/home/dev/.venvs/vllm/bin/vllm\n' },
          'node --version': { stdout: 'v22.12.0' },
        },
      }),
    );
    expect(venv.status).toBe('pass');
  });
  // isolation applies everywhere (no skip).
});
