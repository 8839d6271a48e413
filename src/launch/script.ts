// The body of a model server's launch script (the shell kit writes it): the server command, plus
// (Ollama) creating the model with its context once the server answers.

import type { ShellKind } from '../shell/kind.js';
import { serverScriptBody } from '../shell/script.js';
import type { LaunchPlan } from './generate.js';

export function launchScriptBody(plan: LaunchPlan, shell: ShellKind): string {
  const first = plan.afterReady[0];
  return serverScriptBody(
    {
      server: plan.server,
      afterReady: plan.afterReady,
      // The follow-up commands use the server's own CLI (`ollama create`), whose `list` succeeds
      // once the server answers.
      readyCheck: first && { env: first.env, program: plan.server.program, args: ['list'] },
    },
    shell,
  );
}
