// The body of a script that starts a long-running server and, once it answers, runs one-off
// commands against it (Ollama: create the model with its context), in sh or PowerShell.
import { type CommandLine, renderCommand } from './command.js';
import type { ShellKind } from './kind.js';
import { psString, quotePowerShell, quoteSh } from './quote.js';

export interface ServerScript {
  server: CommandLine;
  /** Run in order once `readyCheck` succeeds. */
  afterReady: CommandLine[];
  /**
   * Succeeds once the server answers; retried every second. Needed when `afterReady` is not empty.
   * In PowerShell it runs with the server's environment (set for the whole script), so its own
   * `env` is for sh only.
   */
  readyCheck?: CommandLine;
}

export function serverScriptBody(script: ServerScript, shell: ShellKind): string {
  const { server, afterReady, readyCheck } = script;
  const rendered = renderCommand(server, shell, { multiline: true });
  if (afterReady.length === 0) return shell === 'sh' ? `exec ${rendered}` : rendered;
  if (!readyCheck) throw new Error('bug: a server script with follow-up commands needs a readyCheck');
  if (shell === 'sh') {
    return [
      `${rendered} &`,
      'server=$!',
      `until ${renderCommand(readyCheck, 'sh')} >/dev/null 2>&1; do sleep 1; done`,
      ...afterReady.map((s) => renderCommand(s, 'sh', { multiline: true })),
      'wait "$server"',
    ].join('\n');
  }
  // The server's environment is set for the whole script, so the commands after it inherit it.
  const check = [readyCheck.program, ...readyCheck.args].map(quotePowerShell).join(' ');
  return [
    ...Object.entries(server.env ?? {}).map(([k, v]) => `$env:${k} = ${psString(v)}`),
    `$server = Start-Process -FilePath ${psString(server.program)} -ArgumentList ${server.args.map(psString).join(', ')} -NoNewWindow -PassThru`,
    `while ($true) { & ${check} *> $null; if ($LASTEXITCODE -eq 0) { break }; Start-Sleep 1 }`,
    ...afterReady.map((s) =>
      renderCommand({ program: s.program, args: s.args }, 'powershell', { multiline: true }),
    ),
    'Wait-Process -Id $server.Id',
  ].join('\n');
}

/**
 * The command that runs a script file: `sh FILE`, or a PowerShell that ignores the execution policy
 * (scripts dsb writes are not signed). Windows paths cannot hold `"`, so double quotes suffice.
 */
export function runScriptCommand(shell: ShellKind, file: string): string {
  return shell === 'sh'
    ? `sh ${quoteSh(file)}`
    : `powershell -NoProfile -ExecutionPolicy Bypass -File "${file}"`;
}
