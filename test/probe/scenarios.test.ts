import { describe, expect, it } from 'vitest';
import {
  CLAUDE_CODE_TOOLS,
  claudeCodeSystem,
  defaultScenarios,
  FIBONACCI_FILE,
  fillerText,
  LONG_CONTEXT_QUESTION,
  longContextMessages,
  SCENARIOS,
  scenarioIds,
} from '../../src/probe/scenarios.js';

describe('the scenario list', () => {
  it('ids are unique and listed in order; the default run leaves out only the opt-in ones', () => {
    const ids = scenarioIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(SCENARIOS.map((s) => s.id));
    const optIn = SCENARIOS.filter((s) => s.kind === 'session').map((s) => s.id);
    expect(optIn.length).toBeGreaterThan(0);
    expect(defaultScenarios().map((s) => s.id)).toEqual(ids.filter((id) => !optIn.includes(id)));
  });

  it('every tool a scenario expects or answers is one the probe sends', () => {
    const names = CLAUDE_CODE_TOOLS.map((t) => t.name);
    for (const s of SCENARIOS) {
      if (s.kind !== 'messages') continue;
      const expected = [s.expect.toolUse?.toolName, s.followUp?.expect.toolUse?.toolName].filter(Boolean);
      for (const name of expected) expect(names).toContain(name);
      for (const name of Object.keys(s.followUp?.toolResults ?? {}))
        if (name !== '*') expect(names).toContain(name);
      const choice = s.request.toolChoice;
      if (choice?.type === 'tool') expect(names).toContain(choice.name);
      if (choice && choice.type !== 'none') expect(s.request.tools).toBe('claude-code');
    }
  });

  it('a scenario with a follow-up expects tool calls to answer', () => {
    for (const s of SCENARIOS) {
      if (s.kind === 'messages' && s.followUp) expect(s.expect.toolUse?.min ?? 0).toBeGreaterThan(0);
    }
  });
});

describe('the tools and system prompt shaped like Claude Code', () => {
  it("each tool's schema is a closed object whose required fields are among its properties", () => {
    for (const tool of CLAUDE_CODE_TOOLS) {
      const schema = tool.input_schema as {
        type: string;
        properties: object;
        required: string[];
        additionalProperties: boolean;
      };
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      for (const r of schema.required) expect(Object.keys(schema.properties)).toContain(r);
    }
  });

  it('three blocks: the per-request billing header first, the cached instructions last', () => {
    const system = claudeCodeSystem();
    expect(system).toHaveLength(3);
    expect(system[0]).toMatchObject({
      type: 'text',
      text: expect.stringMatching(/^x-anthropic-billing-header: /),
    });
    expect(system[2]).toMatchObject({ cache_control: { type: 'ephemeral' } });
    // A fresh array each time: a caller growing it (session-data) changes no one else's.
    expect(claudeCodeSystem()).not.toBe(system);
  });
});

describe('longContextMessages', () => {
  it('one user message: the file fenced under its name, then the question', () => {
    expect(longContextMessages('a.py', 'print(1)')).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Contents of a.py:\n\n```\nprint(1)\n```' },
          { type: 'text', text: LONG_CONTEXT_QUESTION },
        ],
      },
    ]);
    expect(FIBONACCI_FILE).toContain('# TODO: Optimize this to O(n) time');
  });
});

describe('fillerText', () => {
  it('one line per ~12 tokens, at least one, every line different, the same every run', () => {
    expect(fillerText(0).split('\n')).toHaveLength(1);
    expect(fillerText(12).split('\n')).toHaveLength(1);
    expect(fillerText(13).split('\n')).toHaveLength(2);
    const lines = fillerText(12_000).split('\n');
    expect(lines).toHaveLength(1_000);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines[0]).toBe('line 0: alpha alpha alpha value=0;');
    expect(lines[123]).toBe(`line 123: delta charlie bravo value=${(123 * 7919) % 100003};`);
    expect(fillerText(500)).toBe(fillerText(500));
  });
});
