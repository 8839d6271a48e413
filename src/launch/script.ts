// The body of a launch script: the server command, plus (Ollama) creating the model with its
// context once the server answers.
import type { LaunchPlan } from './generate.js';
import { psString, quotePowerShell, renderCommand, type ShellKind } from './quote.js';

export function launchScriptBody(plan: LaunchPlan, shell: ShellKind): string {
  const server = renderCommand(plan.server, shell, { multiline: true });
  if (plan.afterReady.length === 0) return shell === 'sh' ? `exec ${server}` : server;
  const after = plan.afterReady.map((s) => renderCommand(s, shell, { multiline: true }));
  const env = plan.server.env ?? {};
  if (shell === 'sh') {
    const probe = renderCommand(
      { env: plan.afterReady[0]!.env, program: plan.server.program, args: ['list'] },
      'sh',
    );
    return [
      `${server} &`,
      'server=$!',
      `until ${probe} >/dev/null 2>&1; do sleep 1; done`,
      ...after,
      'wait "$server"',
    ].join('\n');
  }
  return [
    ...Object.entries(env).map(([k, v]) => `$env:${k} = ${psString(v)}`),
    `$server = Start-Process -FilePath ${psString(plan.server.program)} -ArgumentList ${plan.server.args.map(psString).join(', ')} -NoNewWindow -PassThru`,
    `while ($true) { & ${quotePowerShell(plan.server.program)} list *> $null; if ($LASTEXITCODE -eq 0) { break }; Start-Sleep 1 }`,
    ...plan.afterReady.map((s) =>
      renderCommand({ program: s.program, args: s.args }, 'powershell', { multiline: true }),
    ),
    'Wait-Process -Id $server.Id',
  ].join('\n');
}
