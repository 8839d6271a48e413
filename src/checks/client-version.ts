// Which Claude Code is installed: the CLI (`claude --version`) and the VS Code extension
// (`code --list-extensions --show-versions`, id anthropic.claude-code), against the range dsb was
// tested with; the npm-installed CLI needs Node ≥ 22.
import { compareVersions } from '../system/platform.js';
import type { Check, CheckOutcome } from './types.js';

/** Oldest Claude Code release whose gateway behaviour (env settings, streaming) dsb relies on. */
export const MIN_CLAUDE_VERSION = '2.0.0';
/** The release dsb's end-to-end tests run against (design.md §6). */
export const TESTED_CLAUDE_VERSION = '2.1.331';
export const MIN_NODE_MAJOR = 22;
export const VSCODE_EXTENSION_ID = 'anthropic.claude-code';

export function parseClaudeVersion(stdout: string): string | undefined {
  return stdout.match(/(\d+\.\d+\.\d+)/)?.[1];
}

/** `code --list-extensions --show-versions` prints `publisher.name@version` per line. */
export function parseExtensionVersion(stdout: string, id = VSCODE_EXTENSION_ID): string | undefined {
  for (const line of stdout.split(/\r?\n/)) {
    const [name, version] = line.trim().split('@');
    if (name?.toLowerCase() === id && version) return version;
  }
  return undefined;
}

export const clientVersionCheck: Check = {
  id: 'client-version',
  title: 'Claude Code version',
  required: true,
  description:
    'Claude Code CLI and VS Code extension versions against the tested range; Node >= 22 for the CLI.',
  timeoutMs: 15_000,
  async run(ctx): Promise<CheckOutcome> {
    const exec = ctx.system.exec.bind(ctx.system);
    const [claude, node, code] = await Promise.all([
      exec('claude', ['--version'], { timeoutMs: 10_000 }),
      exec('node', ['--version'], { timeoutMs: 5_000 }),
      exec('code', ['--list-extensions', '--show-versions'], { timeoutMs: 10_000 }),
    ]);
    const details: string[] = [];
    const cliVersion = claude.exitCode === 0 ? parseClaudeVersion(claude.stdout) : undefined;
    const nodeVersion = node.exitCode === 0 ? node.stdout.trim().match(/v?\d+\.\d+\.\d+/)?.[0] : undefined;
    const extVersion = code.exitCode === 0 ? parseExtensionVersion(code.stdout) : undefined;
    const data = {
      cli: cliVersion ?? null,
      vscodeExtension: extVersion ?? null,
      node: nodeVersion ?? null,
      vscodeCli: !code.notFound,
      tested: TESTED_CLAUDE_VERSION,
    };
    details.push(
      cliVersion
        ? `Claude Code CLI ${cliVersion}`
        : claude.notFound
          ? 'Claude Code CLI: `claude` not on PATH'
          : `Claude Code CLI: \`claude --version\` failed: ${(claude.stderr || claude.stdout).trim().slice(0, 120)}`,
    );
    details.push(
      extVersion
        ? `VS Code extension ${VSCODE_EXTENSION_ID} ${extVersion}`
        : code.notFound
          ? 'VS Code: `code` not on PATH (extension not checked)'
          : `VS Code extension ${VSCODE_EXTENSION_ID}: not installed`,
    );
    details.push(nodeVersion ? `Node ${nodeVersion} on PATH` : 'Node: `node` not on PATH');

    const installFix = {
      description: `install Claude Code (tested with ${TESTED_CLAUDE_VERSION}); the npm package needs Node ${MIN_NODE_MAJOR}+`,
      commands: ['npm install -g @anthropic-ai/claude-code', 'claude --version'],
    };
    if (!cliVersion && !extVersion) {
      return {
        status: 'fail',
        summary: 'Claude Code is not installed (no `claude` CLI, no VS Code extension)',
        details,
        data,
        fix: installFix,
      };
    }
    const nodeMajor = nodeVersion ? Number(nodeVersion.replace(/^v/, '').split('.')[0]) : undefined;
    if (cliVersion && nodeMajor !== undefined && nodeMajor < MIN_NODE_MAJOR) {
      return {
        status: 'fail',
        summary: `Node ${nodeVersion} is too old for Claude Code (needs ${MIN_NODE_MAJOR}+)`,
        details,
        data,
        fix: {
          description: `install Node ${MIN_NODE_MAJOR} or newer (e.g. with nvm or fnm), then reinstall Claude Code`,
          commands:
            ctx.system.platform === 'win32'
              ? ['winget install OpenJS.NodeJS.LTS', 'npm install -g @anthropic-ai/claude-code']
              : ['nvm install 22 && nvm use 22', 'npm install -g @anthropic-ai/claude-code'],
        },
      };
    }
    const old = [
      cliVersion && compareVersions(cliVersion, MIN_CLAUDE_VERSION) < 0 ? `CLI ${cliVersion}` : undefined,
      extVersion && compareVersions(extVersion, MIN_CLAUDE_VERSION) < 0
        ? `VS Code extension ${extVersion}`
        : undefined,
    ].filter(Boolean);
    if (old.length) {
      return {
        status: 'warn',
        summary: `${old.join(' and ')} older than ${MIN_CLAUDE_VERSION}: update Claude Code`,
        details,
        data,
        fix: {
          description: 'update Claude Code (and the VS Code extension from the Extensions view)',
          commands: ['claude update', `code --install-extension ${VSCODE_EXTENSION_ID} --force`],
        },
      };
    }
    const newest = [cliVersion, extVersion].filter((v): v is string => Boolean(v));
    if (newest.some((v) => compareVersions(v, TESTED_CLAUDE_VERSION) > 0)) {
      details.push(
        `newer than the version dsb was tested with (${TESTED_CLAUDE_VERSION}); if something breaks, run dsb probe`,
      );
    }
    return {
      status: 'pass',
      summary: [cliVersion && `CLI ${cliVersion}`, extVersion && `VS Code extension ${extVersion}`]
        .filter(Boolean)
        .join(', '),
      details,
      data,
    };
  },
};
