// Init's plan, part 4: firewall rule scripts for the bridge port, and what applying them runs
// (or what the user runs by hand: elevated, or on WSL's Windows side).
import { windowsAtHand } from '../shell/kind.js';
import { runScriptCommand } from '../shell/script.js';
import {
  linuxFirewallPlan,
  renderLinuxFirewallScript,
  renderWindowsFirewallScript,
  windowsApplyCommand,
} from './firewall.js';
import { type Draft, type PlanInput, wholeFile } from './outputs.js';
import type { FirewallPlan } from './types.js';

export function planFirewall(input: PlanInput, draft: Draft): FirewallPlan | undefined {
  const { answers, facts, p, scripts } = input;
  if (!answers.firewall) return undefined;
  let firewall: FirewallPlan | undefined;
  if (windowsAtHand(facts)) firewall = planWindowsFirewall(input, draft);
  if (facts.platform === 'linux') {
    const sh = p.join(scripts, 'firewall-linux.sh');
    draft.outputs.push(
      wholeFile(
        sh,
        'firewall-script',
        'Linux firewall rule for the bridge port',
        renderLinuxFirewallScript(facts.templates, answers.bridgePort, sh),
        0o755,
      ),
    );
    firewall = linuxFirewallPlan(facts.firewall, answers.bridgePort, sh);
  } else if (facts.platform === 'darwin') {
    draft.notes.push(
      'macOS: the application firewall filters apps, not ports, and never loopback: no rule needed',
    );
  }
  return firewall;
}

/** The Windows rule: applied here on Windows; from WSL, a step for the Windows side. */
function planWindowsFirewall(
  { answers, facts, p, scripts }: PlanInput,
  draft: Draft,
): FirewallPlan | undefined {
  const ps1 = p.join(scripts, 'firewall-windows.ps1');
  draft.outputs.push(
    wholeFile(
      ps1,
      'firewall-script',
      'Windows firewall rule for the bridge port',
      renderWindowsFirewallScript(facts.templates, answers.bridgePort),
    ),
  );
  if (facts.platform === 'win32') {
    return {
      commands: [windowsApplyCommand(ps1)],
      canApply: facts.firewall.admin,
      manual: [`${runScriptCommand('powershell', ps1)}   (in an elevated PowerShell)`],
      summary: `Windows Defender Firewall: allow TCP ${answers.bridgePort} inbound, Private profile, local subnet only`,
    };
  }
  const distro = facts.env.WSL_DISTRO_NAME || '<distro>';
  const winPath = `\\\\wsl.localhost\\${distro}${ps1.replace(/\//g, '\\')}`;
  draft.nextSteps.push(
    `WSL: for Windows-side clients, run in an elevated Windows PowerShell: ${runScriptCommand('powershell', winPath)}`,
  );
  return undefined;
}
