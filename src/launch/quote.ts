// The shell kit moved to src/shell/; this re-export keeps importers outside launch and init working
// (src/checks/fix-commands.ts, test/probe). New code imports src/shell/ directly.
export { type CommandLine, type RenderOptions, renderCommand } from '../shell/command.js';
export type { ShellKind } from '../shell/kind.js';
export { psString, quoteFor, quotePowerShell, quoteSh } from '../shell/quote.js';
