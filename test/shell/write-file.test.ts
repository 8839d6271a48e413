import { describe, expect, it } from 'vitest';
import { writeFileCommand } from '../../src/shell/write-file.js';

describe('writeFileCommand', () => {
  it('sh: makes the folder, then a quoted here-document (nothing expanded), ending in a newline', () => {
    expect(writeFileCommand('/home/u/my models/Modelfile', 'FROM $MODEL', 'sh')).toBe(
      "mkdir -p '/home/u/my models' && cat > '/home/u/my models/Modelfile' <<'DSB_EOF'\nFROM $MODEL\nDSB_EOF",
    );
    expect(writeFileCommand('/a/f', 'x\n', 'sh')).toBe("mkdir -p /a && cat > /a/f <<'DSB_EOF'\nx\nDSB_EOF");
  });

  it('PowerShell: New-Item for the folder, a literal here-string whose closing line starts the line', () => {
    expect(
      writeFileCommand('C:\\Users\\u\\dsb\\Modelfile', 'FROM $x\nPARAMETER num_ctx 8192\n', 'powershell'),
    ).toBe(
      [
        'New-Item -ItemType Directory -Force -Path C:\\Users\\u\\dsb | Out-Null',
        "Set-Content -Encoding utf8 -Path C:\\Users\\u\\dsb\\Modelfile -Value @'",
        'FROM $x\nPARAMETER num_ctx 8192',
        "'@",
      ].join('\n'),
    );
  });
});
