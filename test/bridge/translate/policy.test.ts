import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessagesRequest } from '../../../src/bridge/anthropic/schema.js';
import { applyForcedToolChoicePolicy, reasoningReplay } from '../../../src/bridge/translate/policy.js';

const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } as MessagesRequest;
const forced = {
  ...base,
  thinking: { type: 'enabled', budget_tokens: 1024 },
  tool_choice: { type: 'tool', name: 'Read' },
} as MessagesRequest;

describe('applyForcedToolChoicePolicy', () => {
  it('turns thinking off, or relaxes the choice to auto, or keeps it, as the profile says', () => {
    const off = applyForcedToolChoicePolicy(forced, 'disable-thinking');
    expect(off.request.thinking).toEqual({ type: 'disabled' });
    expect(off.request.tool_choice).toEqual(forced.tool_choice);
    expect(off.warnings).toEqual(['forced tool_choice: thinking turned off for this request']);
    const relaxed = applyForcedToolChoicePolicy(forced, 'relax');
    expect([relaxed.request.tool_choice, relaxed.request.thinking]).toEqual([
      { type: 'auto' },
      forced.thinking,
    ]);
    expect(relaxed.warnings).toEqual(['forced tool_choice relaxed to auto (thinking mode)']);
    expect(applyForcedToolChoicePolicy(forced, 'keep')).toEqual({ request: forced, warnings: [] });
  });

  it('changes nothing without thinking on or without a forced choice; never mutates its input (total)', () => {
    const choices = [
      undefined,
      { type: 'auto' },
      { type: 'any' },
      { type: 'tool', name: 'X' },
      { type: 'none' },
    ];
    const thinking = [
      undefined,
      { type: 'enabled', budget_tokens: 1024 },
      { type: 'adaptive' },
      { type: 'disabled' },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...choices),
        fc.constantFrom(...thinking),
        fc.constantFrom('disable-thinking', 'relax', 'keep') as fc.Arbitrary<
          'disable-thinking' | 'relax' | 'keep'
        >,
        (tool_choice, think, mode) => {
          const request = { ...base, tool_choice, thinking: think } as MessagesRequest;
          const copy = structuredClone(request);
          const out = applyForcedToolChoicePolicy(request, mode);
          expect(request).toEqual(copy);
          const on = think?.type === 'enabled' || think?.type === 'adaptive';
          const isForced = tool_choice?.type === 'any' || tool_choice?.type === 'tool';
          expect(out.warnings.length > 0).toBe(on && isForced && mode !== 'keep');
          if (out.warnings.length === 0) expect(out.request).toBe(request);
        },
      ),
    );
  });
});

describe('reasoningReplay', () => {
  const memory = new Map([['toolu_1', 'remembered']]);
  const recall = (ids: string[]) => memory.get(ids[0]!);

  it('gives what is remembered; else the placeholder (counted) when the upstream needs one', () => {
    const replay = reasoningReplay(recall, 'placeholder', 'PLACEHOLDER');
    expect(replay.reasoningFor(['toolu_1'])).toBe('remembered');
    expect(replay.warnings()).toEqual([]);
    expect(replay.reasoningFor(['toolu_2'])).toBe('PLACEHOLDER');
    expect(replay.reasoningFor(['toolu_3'])).toBe('PLACEHOLDER');
    expect(replay.placeholders).toBe(2);
    expect(replay.warnings()).toEqual([
      'reasoning of 2 tool-call turn(s) not in the cache: placeholder sent',
    ]);
  });

  it('sends nothing made up when replay is off', () => {
    const replay = reasoningReplay(recall, 'off', 'PLACEHOLDER');
    expect(replay.reasoningFor(['toolu_2'])).toBeUndefined();
    expect([replay.placeholders, replay.warnings()]).toEqual([0, []]);
  });
});
