import { describe, expect, it } from 'vitest';
import { renderCommand } from '../../src/shell/command.js';

const serve = {
  env: { HF_HOME: '/my cache' },
  program: 'llama-server',
  args: ['--model', '/m/a b.gguf', '--jinja', '--port', '8080'],
};

describe('renderCommand', () => {
  it('sh on one line: environment first, each word quoted as needed', () => {
    expect(renderCommand(serve, 'sh')).toBe(
      "HF_HOME='/my cache' llama-server --model '/m/a b.gguf' --jinja --port 8080",
    );
  });

  it('sh on several lines: positionals stay with the program, each option with its value', () => {
    expect(
      renderCommand(
        { program: 'vllm', args: ['serve', 'deepseek-ai/x', '--port', '8000', '--trust-remote-code'] },
        'sh',
        {
          multiline: true,
        },
      ),
    ).toBe('vllm serve deepseek-ai/x \\\n  --port 8000 \\\n  --trust-remote-code');
  });

  it('PowerShell: $env assignments before the command; a quoted program is called with &', () => {
    expect(renderCommand(serve, 'powershell')).toBe(
      "$env:HF_HOME = '/my cache'; llama-server --model '/m/a b.gguf' --jinja --port 8080",
    );
    expect(
      renderCommand({ program: 'C:\\Program Files\\llama\\llama-server.exe', args: [] }, 'powershell'),
    ).toBe("& 'C:\\Program Files\\llama\\llama-server.exe'");
    expect(renderCommand(serve, 'powershell', { multiline: true })).toBe(
      "$env:HF_HOME = '/my cache'\nllama-server `\n  --model '/m/a b.gguf' `\n  --jinja `\n  --port 8080",
    );
  });

  it('an option value that starts with - stays its own group; no env and no args is the program alone', () => {
    expect(renderCommand({ program: 'x', args: ['--a', '-1'] }, 'sh', { multiline: true })).toBe(
      'x \\\n  --a \\\n  -1',
    );
    expect(renderCommand({ program: 'x', args: [] }, 'sh')).toBe('x');
  });
});
