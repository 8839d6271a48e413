// Environment isolation: the Node that runs Claude Code (≥ 22, and inside WSL not the Windows one
// leaking in through /mnt/c), more than one `claude` on PATH, and for vLLM / SGLang a Python virtual
// environment (VIRTUAL_ENV / CONDA_PREFIX) rather than packages installed into the system Python.
import { detectWsl } from '../system/platform.js';
import { LOCAL_UPSTREAMS } from '../upstreams/index.js';
import { isLocalUpstreamKind } from '../upstreams/kind.js';
import { pathApi } from './claude-env.js';
import type { Check, CheckContext, CheckOutcome, Fix } from './types.js';
import { discoverUpstream } from './upstream-info.js';
import { whichAll } from './util.js';

/** A kind of server that is a Python package (vLLM, SGLang): it wants its own virtual environment. */
function isPythonServer(kind: string | undefined): boolean {
  return kind !== undefined && isLocalUpstreamKind(kind) && LOCAL_UPSTREAMS[kind].doctor.pythonServer;
}

async function insideVenv(ctx: CheckContext, executable: string): Promise<boolean> {
  const p = pathApi(ctx);
  const root = p.dirname(p.dirname(executable));
  const [cfg, conda] = await Promise.all([
    ctx.system.stat(p.join(root, 'pyvenv.cfg')),
    ctx.system.stat(p.join(root, 'conda-meta')),
  ]);
  return Boolean(cfg?.isFile || conda?.isDirectory);
}

export const isolationCheck: Check = {
  id: 'isolation',
  title: 'Environment isolation',
  required: false,
  description:
    'Node version and origin, duplicate Claude Code installs, a Python virtual environment (VIRTUAL_ENV / CONDA_PREFIX) for vLLM and SGLang.',
  timeoutMs: 15_000,
  async run(ctx): Promise<CheckOutcome> {
    const wsl = detectWsl(ctx.system);
    const [nodes, claudes, vllms, node] = await Promise.all([
      whichAll(ctx, 'node'),
      whichAll(ctx, 'claude'),
      whichAll(ctx, 'vllm'),
      ctx.system.exec('node', ['--version'], { timeoutMs: 5_000 }),
    ]);
    const details: string[] = [];
    const problems: Array<{ text: string; fix: Fix }> = [];
    const nodeVersion = node.exitCode === 0 ? node.stdout.trim() : undefined;
    details.push(
      `node on PATH: ${nodes[0] ?? 'none'}${nodeVersion ? ` (${nodeVersion})` : ''}; dsb runs on Node ${ctx.system.nodeVersion}`,
    );
    if (claudes.length) details.push(`claude on PATH: ${claudes.join(', ')}`);

    if (wsl) {
      const windowsNode = nodes[0]?.startsWith('/mnt/');
      const windowsClaude = claudes[0]?.startsWith('/mnt/');
      if (windowsNode || windowsClaude) {
        problems.push({
          text: `inside WSL the first ${windowsNode ? 'node' : 'claude'} on PATH is the Windows one (${windowsNode ? nodes[0] : claudes[0]}): it runs with Windows paths and networking`,
          fix: {
            description:
              'install Node 22+ and Claude Code inside WSL (nvm), or keep Windows programs off the WSL PATH',
            commands: [
              '# install nvm inside WSL: https://github.com/nvm-sh/nvm#installing-and-updating',
              'nvm install 22 && npm install -g @anthropic-ai/claude-code',
              "printf '[interop]\\nappendWindowsPath=false\\n' | sudo tee -a /etc/wsl.conf   # then: wsl.exe --shutdown",
            ],
          },
        });
      }
    }
    const nodeMajor = nodeVersion ? Number(nodeVersion.replace(/^v/, '').split('.')[0]) : undefined;
    if (nodeMajor !== undefined && nodeMajor < 22) {
      problems.push({
        text: `the node on PATH is ${nodeVersion}: Claude Code's npm package and dsb need Node 22 or newer`,
        fix: {
          description:
            'install Node 22+ and make it the default (nvm, fnm, or the installer from nodejs.org)',
          commands:
            ctx.system.platform === 'win32'
              ? ['winget install OpenJS.NodeJS.LTS']
              : ['nvm install 22 && nvm alias default 22'],
        },
      });
    }
    if (claudes.length > 1) {
      problems.push({
        text: `${claudes.length} Claude Code installs on PATH; the first one runs: ${claudes[0]}`,
        fix: {
          description:
            'keep one install (e.g. remove the npm one if you use the native installer, or the other way round)',
          commands: [
            'npm uninstall -g @anthropic-ai/claude-code   # if you keep the native install',
            'claude doctor',
          ],
        },
      });
    }

    // Python isolation only matters for Python servers.
    const info = await discoverUpstream(ctx);
    const configured = ctx.config.upstreams[0]?.kind;
    const python = isPythonServer(info.kind) || isPythonServer(configured) || vllms.length > 0;
    const venv = ctx.system.env.VIRTUAL_ENV || ctx.system.env.CONDA_PREFIX;
    const data: Record<string, unknown> = {
      node: nodes[0] ?? null,
      nodeVersion: nodeVersion ?? null,
      claude: claudes,
      pythonServer: python,
      virtualEnv: venv ?? null,
      vllm: vllms[0] ?? null,
    };
    if (python) {
      if (venv) details.push(`Python environment: ${venv}`);
      if (vllms[0]) {
        const isolated = await insideVenv(ctx, vllms[0]);
        details.push(`vllm: ${vllms[0]}${isolated ? ' (in a virtual environment)' : ''}`);
        if (!isolated) {
          problems.push({
            text: `vLLM is installed outside a virtual environment (${vllms[0]}): its pinned torch/CUDA packages clash with system ones`,
            fix: {
              description: 'install vLLM into its own virtual environment (uv is the fastest)',
              commands: [
                'uv venv --python 3.12 ~/.venvs/vllm',
                'source ~/.venvs/vllm/bin/activate',
                'uv pip install vllm',
              ],
            },
          });
        }
      } else if (!venv && !isPythonServer(info.kind)) {
        details.push('no Python virtual environment active (VIRTUAL_ENV / CONDA_PREFIX unset)');
      }
    }

    for (const p of problems) details.push(`! ${p.text}`);
    if (problems.length)
      return { status: 'warn', summary: problems[0]!.text, details, data, fix: problems[0]!.fix };
    return {
      status: 'pass',
      summary: `node ${nodeVersion ?? 'not found'}${claudes.length === 1 ? ', one Claude Code install' : ''}${python && venv ? ', Python venv active' : ''}`,
      details,
      data,
    };
  },
};
