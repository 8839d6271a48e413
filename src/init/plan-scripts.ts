// Init's plan, part 3: scripts that start things. The model server's launch script (local
// backends), the bridge's start script and a service for it (systemd user unit / Windows scheduled
// task), each in sh and, where Windows is at hand, PowerShell.
import type { LaunchPlan } from '../launch/generate.js';
import { launchScriptBody } from '../launch/script.js';
import type { CommandLine } from '../shell/command.js';
import { renderCommand } from '../shell/command.js';
import { type ShellKind, windowsAtHand } from '../shell/kind.js';
import { psString, quoteSh, quoteSystemd, quoteWindowsArg } from '../shell/quote.js';
import { runScriptCommand } from '../shell/script.js';
import { renderTemplate } from '../shell/template.js';
import { type Draft, type PlanInput, wholeFile } from './outputs.js';

const MODEL_SERVER_SCRIPT: Record<ShellKind, string> = {
  sh: 'start-model-server.sh',
  powershell: 'start-model-server.ps1',
};

/** The script that starts the model server (and what it needs, e.g. Ollama's Modelfile). */
export function planModelServerScripts(
  { answers, facts, p, scripts }: PlanInput,
  launch: LaunchPlan,
  draft: Draft,
): void {
  const t = facts.templates;
  const vars = (shell: ShellKind) => ({
    title: launch.server.description,
    backend: answers.backend,
    command: launchScriptBody(launch, shell),
  });
  for (const file of launch.files)
    draft.outputs.push(wholeFile(file.path, 'script', file.description, file.content));
  draft.outputs.push(
    wholeFile(
      p.join(scripts, MODEL_SERVER_SCRIPT.sh),
      'script',
      'model server launch script (sh)',
      renderTemplate(t.modelServerSh, vars('sh')),
      0o755,
    ),
  );
  if (windowsAtHand(facts)) {
    draft.outputs.push(
      wholeFile(
        p.join(scripts, MODEL_SERVER_SCRIPT.powershell),
        'script',
        'model server launch script (PowerShell)',
        renderTemplate(t.modelServerPs1, vars('powershell')),
      ),
    );
  }
}

/** How to run the model server's script in `shell`. */
export function modelServerScriptCommand({ p, scripts }: PlanInput, shell: ShellKind): string {
  return runScriptCommand(shell, p.join(scripts, MODEL_SERVER_SCRIPT[shell]));
}

/** `dsb serve` on the answered port, with the config it must read when that is not the user's. */
export function bridgeCommand({ answers, facts, configPath }: PlanInput): CommandLine {
  const cmd: CommandLine = {
    program: facts.dsbCommand[0]!,
    args: [...facts.dsbCommand.slice(1), 'serve', '--port', String(answers.bridgePort)],
  };
  if (answers.scope === 'project' || answers.configFile) cmd.args.push('--config', configPath);
  return cmd;
}

export function planBridgeScripts(input: PlanInput, draft: Draft): void {
  const { answers, facts, p, scripts } = input;
  const t = facts.templates;
  const bridgeCmd = bridgeCommand(input);
  const port = String(answers.bridgePort);
  draft.outputs.push(
    wholeFile(
      p.join(scripts, 'start-bridge.sh'),
      'script',
      'bridge launch script (sh)',
      renderTemplate(t.bridgeSh, { port, command: renderCommand(bridgeCmd, 'sh') }),
      0o755,
    ),
  );
  if (windowsAtHand(facts)) {
    draft.outputs.push(
      wholeFile(
        p.join(scripts, 'start-bridge.ps1'),
        'script',
        'bridge launch script (PowerShell)',
        renderTemplate(t.bridgePs1, { port, command: renderCommand(bridgeCmd, 'powershell') }),
      ),
    );
  }
  planBridgeService(input, bridgeCmd, draft);
}

/** A service that starts the bridge at login: a systemd user unit (Linux), a scheduled task (Windows). */
function planBridgeService({ answers, facts, p, scripts }: PlanInput, bridgeCmd: CommandLine, draft: Draft) {
  const t = facts.templates;
  const port = String(answers.bridgePort);
  if (facts.platform === 'linux') {
    const unitPath = p.join(scripts, 'dsb-bridge.service');
    const execStart = [bridgeCmd.program, ...bridgeCmd.args].map(quoteSystemd).join(' ');
    draft.outputs.push(
      wholeFile(
        unitPath,
        'script',
        'systemd user unit for the bridge',
        renderTemplate(t.systemdUnit, { port, unitPath, execStart }),
      ),
    );
    draft.nextSteps.push(
      `optional, start the bridge at login: systemctl --user enable --now ${quoteSh(unitPath)}`,
    );
  } else if (facts.platform === 'win32') {
    const taskPath = p.join(scripts, 'dsb-bridge-task.ps1');
    draft.outputs.push(
      wholeFile(
        taskPath,
        'script',
        'Windows scheduled task for the bridge',
        renderTemplate(t.windowsTask, {
          port,
          program: psString(bridgeCmd.program),
          arguments: psString(bridgeCmd.args.map(quoteWindowsArg).join(' ')),
        }),
      ),
    );
    draft.nextSteps.push(`optional, start the bridge at logon: ${runScriptCommand('powershell', taskPath)}`);
  }
}
