import { describe, expect, it } from 'vitest';
import { toolResultsFor } from '../../src/probe/scenario-runners.js';

describe('toolResultsFor', () => {
  it('answers each tool_use by tool name, else `*`, else "ok"', () => {
    const content = [
      { type: 'text' as const, text: 'let me look' },
      { type: 'tool_use' as const, id: 't1', name: 'Read', input: {} },
      { type: 'tool_use' as const, id: 't2', name: 'Grep', input: {} },
    ];
    expect(toolResultsFor({ content }, { Read: 'file body', '*': 'other' })).toEqual([
      { type: 'tool_result', tool_use_id: 't1', content: 'file body' },
      { type: 'tool_result', tool_use_id: 't2', content: 'other' },
    ]);
    expect(toolResultsFor({ content }, {}).map((r) => r.type === 'tool_result' && r.content)).toEqual([
      'ok',
      'ok',
    ]);
    expect(toolResultsFor({ content: [] }, {})).toEqual([]);
  });
});
