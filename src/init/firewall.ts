// Firewall rules for the bridge port only, loopback / private scope only (design.md §8).
import type { CommandLine } from '../shell/command.js';
import { psString, quoteSh } from '../shell/quote.js';
import { renderTemplate } from '../shell/template.js';
import type { Templates } from '../shell/templates.js';
import type { FirewallFacts, FirewallPlan } from './types.js';

export const firewallRuleName = (port: number) => `dsb-bridge-tcp-${port}`;

export function ufwCommand(port: number): CommandLine {
  return {
    program: 'ufw',
    args: [
      'allow',
      'in',
      'on',
      'lo',
      'to',
      'any',
      'port',
      String(port),
      'proto',
      'tcp',
      'comment',
      'dsb bridge',
    ],
  };
}

export function firewalldCommands(port: number): CommandLine[] {
  const rule = `rule family="ipv4" source address="127.0.0.1" port port="${port}" protocol="tcp" accept`;
  return [
    { program: 'firewall-cmd', args: ['--permanent', '--add-rich-rule', rule] },
    { program: 'firewall-cmd', args: ['--reload'] },
  ];
}

export function renderLinuxFirewallScript(templates: Templates, port: number, scriptPath: string): string {
  const line = (c: CommandLine) => [c.program, ...c.args].map(quoteSh).join(' ');
  return renderTemplate(templates.firewallLinux, {
    port: String(port),
    scriptPath,
    ufw: line(ufwCommand(port)),
    firewalld: line(firewalldCommands(port)[0]!),
  });
}

export function renderWindowsFirewallScript(templates: Templates, port: number): string {
  return renderTemplate(templates.firewallWindows, {
    port: String(port),
    ruleName: psString(firewallRuleName(port)),
  });
}

export function windowsApplyCommand(scriptPath: string): CommandLine {
  return {
    program: 'powershell.exe',
    args: ['-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', scriptPath],
  };
}

export function linuxFirewallPlan(facts: FirewallFacts, port: number, scriptPath: string): FirewallPlan {
  const manual = [`sudo sh ${quoteSh(scriptPath)}`];
  if (facts.ufw) {
    return {
      commands: [ufwCommand(port)],
      canApply: facts.admin,
      manual,
      summary: `ufw: allow TCP ${port} on the loopback interface`,
    };
  }
  if (facts.firewalld) {
    return {
      commands: firewalldCommands(port),
      canApply: facts.admin,
      manual,
      summary: `firewalld: allow TCP ${port} from 127.0.0.1`,
    };
  }
  return {
    commands: [],
    canApply: false,
    manual: [],
    summary: 'neither ufw nor firewalld is installed: loopback traffic is not filtered, no rule needed',
  };
}
