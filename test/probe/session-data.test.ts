import { describe, expect, it } from 'vitest';
import { CLAUDE_CODE_TOOLS, claudeCodeSystem } from '../../src/probe/scenarios.js';
import {
  prose,
  sessionFile,
  sessionSystem,
  sessionTools,
  sessionUserTurn,
} from '../../src/probe/session-data.js';

describe('session data', () => {
  it("is Claude Code's size: ~17 tools and a system prompt, 60–100 KB of JSON, the same every run", () => {
    const tools = sessionTools();
    expect(tools.length).toBe(17);
    const size = JSON.stringify({ system: sessionSystem(), tools }).length;
    expect(size).toBeGreaterThan(60_000);
    expect(size).toBeLessThan(100_000);
    expect(JSON.stringify(sessionTools())).toBe(JSON.stringify(tools));
    expect(JSON.stringify(sessionUserTurn(3))).toBe(JSON.stringify(sessionUserTurn(3)));
    expect(JSON.stringify(sessionUserTurn(3))).not.toBe(JSON.stringify(sessionUserTurn(4)));
  });
});

describe('prose', () => {
  it('is exactly as long as asked (or shorter by trailing space), the same for a seed, different across seeds', () => {
    for (const chars of [1, 50, 999]) {
      const text = prose(chars, 3);
      expect(text.length).toBeLessThanOrEqual(chars);
      expect(text.length).toBeGreaterThanOrEqual(chars - 1);
    }
    expect(prose(500, 42)).toBe(prose(500, 42));
    expect(prose(500, 42)).not.toBe(prose(500, 43));
    expect(prose(0, 1)).toBe('');
  });

  it('reads as sentences: capitalized, words from the list, punctuated', () => {
    const text = prose(2_000, 11);
    expect(text[0]).toMatch(/[A-Z]/);
    expect(text).toMatch(/[.,;:]/);
    expect(text.split(/\s+/).length).toBeGreaterThan(100);
  });
});

describe('sessionTools and sessionSystem', () => {
  it("starts with the probe's Claude Code tools; every name unique; required names a property", () => {
    const tools = sessionTools();
    expect(tools.slice(0, CLAUDE_CODE_TOOLS.length)).toEqual(CLAUDE_CODE_TOOLS);
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    for (const t of tools) {
      const schema = t.input_schema as { properties: Record<string, unknown>; required: string[] };
      for (const r of schema.required) expect(Object.keys(schema.properties)).toContain(r);
    }
  });

  it("grows only the last system block (the cached instructions), and leaves claudeCodeSystem's alone", () => {
    const plain = claudeCodeSystem();
    const grown = sessionSystem();
    expect(grown).toHaveLength(plain.length);
    expect(grown.slice(0, -1)).toEqual(plain.slice(0, -1));
    const last = grown[grown.length - 1];
    const plainLast = plain[plain.length - 1];
    if (last?.type !== 'text' || plainLast?.type !== 'text') throw new Error('text blocks expected');
    expect(last.text.startsWith(`${plainLast.text}\n\n`)).toBe(true);
    expect(last.text.length).toBeGreaterThan(24_000);
    expect(last.cache_control).toEqual({ type: 'ephemeral' });
    expect(claudeCodeSystem()).toEqual(plain);
  });
});

describe('sessionFile and sessionUserTurn', () => {
  it('a file of at least 1,800 characters of functions, named for its turn', () => {
    const file = sessionFile(2);
    expect(file.length).toBeGreaterThanOrEqual(1_800);
    expect(file.split('\n')[0]).toBe('// module2.ts');
    expect(file).toMatch(/^export function \w+\(input: string\): number \{$/m);
    expect(sessionFile(2)).toBe(file);
  });

  it("a turn's message carries its file, then the question naming the turn", () => {
    const [fileBlock, question] = sessionUserTurn(5);
    expect(fileBlock).toEqual({
      type: 'text',
      text: `Contents of src/module5.ts:\n\n\`\`\`ts\n${sessionFile(5)}\n\`\`\``,
    });
    expect(question).toMatchObject({ type: 'text', text: expect.stringMatching(/^Turn 5: /) });
  });
});
