// SGLang's launch command and its parsers (design.md §5).
import { describe, expect, it } from 'vitest';
import { generateLaunch } from '../../src/launch/generate.js';
import { sglangParsers } from '../../src/upstreams/sglang.js';
import { argAfter, base, templates } from '../support/launch-profile.js';

describe('SGLang', () => {
  it('uses launch_server with context length, parsers and --tp', () => {
    const plan = generateLaunch(
      { ...base, port: 30000, gpus: 8, backend: 'sglang', model: 'deepseek-ai/DeepSeek-V4-Pro' },
      templates,
    );
    const a = plan.server.args;
    expect(plan.server.program).toBe('python3');
    expect(a.slice(0, 2)).toEqual(['-m', 'sglang.launch_server']);
    expect(argAfter(a, '--model-path')).toBe('deepseek-ai/DeepSeek-V4-Pro');
    expect(argAfter(a, '--context-length')).toBe('65536');
    expect(argAfter(a, '--tool-call-parser')).toBe('deepseekv4');
    expect(argAfter(a, '--reasoning-parser')).toBe('deepseek-v4');
    expect(argAfter(a, '--tp')).toBe('8');
    expect(sglangParsers('r1')).toEqual({ toolCallParser: 'deepseekv3', reasoningParser: 'deepseek-r1' });
    expect(
      generateLaunch({ ...base, platform: 'win32', backend: 'sglang', model: 'x-v4' }, templates).server
        .program,
    ).toBe('python');
  });
});
