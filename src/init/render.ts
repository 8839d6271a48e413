// Human-readable output of init: the plan (with diffs under --dry-run) and the result.
import { Chalk } from 'chalk';
import { renderCommand } from '../shell/command.js';
import { type ApplyResult, fileDiff, redact } from './apply.js';
import type { Plan } from './types.js';

export interface RenderOptions {
  color: boolean;
  diffs: boolean;
}

export function renderPlan(plan: Plan, options: RenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const a = plan.answers;
  const lines: string[] = [];
  lines.push(c.bold('dsb init plan'));
  lines.push(
    `  backend ${a.backend} at ${a.upstreamUrl}${a.model ? `, model ${a.model}` : ''}`,
    `  context ${a.ctxSize} tokens (${a.ctxSource}), max output ${a.maxOutputTokens}`,
    `  Claude Code: model "${plan.claudeModel}", bridge http://127.0.0.1:${a.bridgePort}, ${a.scope} scope${a.vscode ? ', VS Code too' : ''}`,
    '',
  );
  for (const f of plan.files) {
    const tag = !f.changed
      ? c.dim('unchanged')
      : f.before === undefined
        ? c.green('create   ')
        : c.yellow('update   ');
    lines.push(`  ${tag} ${f.path}  ${c.dim(f.description)}`);
  }
  if (plan.firewall) {
    lines.push('', `  firewall: ${plan.firewall.summary}`);
    for (const cmd of plan.firewall.commands) lines.push(`    ${renderCommand(cmd, 'sh')}`);
  }
  if (plan.notes.length) {
    lines.push('', c.bold('Notes'));
    for (const n of plan.notes) lines.push(`  ${c.yellow('!')} ${redact(n, plan.secrets)}`);
  }
  if (options.diffs) {
    for (const f of plan.files.filter((x) => x.changed)) {
      lines.push('', c.bold(`${f.before === undefined ? 'new file' : 'diff'}: ${f.path}`));
      for (const l of fileDiff(f, plan.secrets).trimEnd().split('\n')) {
        lines.push(
          l.startsWith('+') && !l.startsWith('+++')
            ? c.green(l)
            : l.startsWith('-') && !l.startsWith('---')
              ? c.red(l)
              : l,
        );
      }
    }
  }
  return lines.join('\n');
}

export function renderResult(plan: Plan, result: ApplyResult, options: { color: boolean }): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const lines: string[] = [];
  if (result.dryRun) {
    lines.push('', c.bold('Dry run: nothing was written.'));
  } else if (!result.changed) {
    lines.push('', c.green('Nothing to change: every file is already up to date.'));
  } else {
    lines.push('');
    for (const f of result.files.filter((x) => x.action !== 'unchanged')) {
      lines.push(`${c.green('✓')} ${f.action} ${f.path}${f.backup ? c.dim(`  (backup: ${f.backup})`) : ''}`);
    }
  }
  if (result.firewall) {
    lines.push(
      '',
      `firewall: ${result.firewall.summary}${result.firewall.applied ? c.green(' — applied') : ''}`,
    );
    for (const m of result.firewall.messages) lines.push(`  ${m}`);
    if (!result.firewall.applied) for (const m of result.firewall.manual) lines.push(`  run: ${m}`);
  }
  if (plan.nextSteps.length) {
    lines.push('', c.bold('Next'));
    for (const [i, s] of plan.nextSteps.entries()) lines.push(`  ${i + 1}. ${s}`);
  }
  return lines.join('\n');
}
