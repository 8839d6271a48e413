// A shell command that writes a small text file (Ollama's Modelfile): `dsb launch` prints it before
// the commands that use the file, so what it prints runs as printed, without `dsb init` first.
import type { ShellKind } from './kind.js';
import { quoteFor } from './quote.js';

const SH_MARKER = 'DSB_EOF';

export function writeFileCommand(file: string, content: string, shell: ShellKind): string {
  const body = content.endsWith('\n') ? content : `${content}\n`;
  const dir = file.replace(/[\\/][^\\/]*$/, '');
  if (shell === 'powershell') {
    // A single-quoted here-string is literal; its closing '@ must start a line.
    return [
      `New-Item -ItemType Directory -Force -Path ${quoteFor(shell, dir)} | Out-Null`,
      `Set-Content -Encoding utf8 -Path ${quoteFor(shell, file)} -Value @'`,
      body.trimEnd(),
      `'@`,
    ].join('\n');
  }
  // A quoted here-document marker: nothing in the body is expanded.
  return `mkdir -p ${quoteFor(shell, dir)} && cat > ${quoteFor(shell, file)} <<'${SH_MARKER}'\n${body}${SH_MARKER}`;
}
