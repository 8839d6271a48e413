// Whether an upstream's per-request context is enough for Claude Code, the cause and the fix
// (src/upstreams/window-advice.ts). The real llama-server cases are in
// test/e2e/context-window-llama.test.ts.
import { describe, expect, it } from 'vitest';
import {
  adviseWindow,
  CLAUDE_CODE_FIXED_PROMPT_TOKENS,
  CLAUDE_CODE_NEEDED_CONTEXT,
  healthContextFields,
  refusalNote,
} from '../../src/upstreams/window-advice.js';

const URL_8080 = 'http://127.0.0.1:8080';

describe('adviseWindow', () => {
  it('-np 4 -c 65536: 16K slots are too small; names -np splitting -c and the dsb launch command', () => {
    const a = adviseWindow(
      { kind: 'llama.cpp', contextSize: 16_384, contextSource: 'x', slots: 4 },
      URL_8080,
    );
    expect(a.level).toBe('small');
    expect(a.cause).toBe("llama-server's -np 4 (--parallel) splits -c 65536 into 4 slots of 16384 tokens");
    expect(a.fix).toBe(
      'dsb launch llama.cpp --ctx-size 65536 --port 8080 (one slot), or restart llama-server with -c 262144 to keep 4 slots',
    );
    expect(a.message).toContain('16384 tokens per request is less than Claude Code needs');
    expect(a.message).toContain(a.cause);
  });

  it.each([
    [
      'ollama',
      "Ollama's num_ctx is 4096",
      'dsb launch ollama --ctx-size 65536 --port 11434',
      'http://127.0.0.1:11434',
    ],
    [
      'vllm',
      'vLLM runs with --max-model-len 32768',
      'dsb launch vllm --ctx-size 65536 --port 8000',
      'http://127.0.0.1:8000',
    ],
    [
      'sglang',
      'SGLang runs with --context-length 32768',
      'dsb launch sglang --ctx-size 65536 --port 30000',
      'http://127.0.0.1:30000',
    ],
  ] as const)('%s: names its own setting', (kind, cause, fix, url) => {
    const size = kind === 'ollama' ? 4096 : 32_768;
    const a = adviseWindow({ kind, contextSize: size, contextSource: 'x' }, url);
    expect(a.cause).toContain(cause);
    expect(a.fix).toBe(fix);
  });

  it('a model trained for too little: no server flag fixes that', () => {
    const a = adviseWindow(
      { kind: 'llama.cpp', contextSize: 16_384, contextSource: 'x', slots: 1, trainContext: 16_384 },
      URL_8080,
    );
    expect(a.cause).toBe('the model was trained for only 16384 tokens');
    expect(a.fix).toMatch(/use a model with a long context/);
  });

  it('dead end: when even the fixed prompt leaves less than 1,024 tokens, says compaction cannot help', () => {
    const size = CLAUDE_CODE_FIXED_PROMPT_TOKENS + 1023;
    const a = adviseWindow({ kind: 'llama.cpp', contextSize: size, contextSource: 'x', slots: 1 }, URL_8080);
    expect(a.level).toBe('dead-end');
    expect(a.message).toMatch(/compaction cannot help/);
    expect(a.message).toContain(`llama-server runs with -c ${size}`);
    expect(
      adviseWindow({ kind: 'llama.cpp', contextSize: size + 1, contextSource: 'x' }, URL_8080).level,
    ).toBe('small');
    expect(refusalNote(size)).toMatch(/compaction cannot help/);
    expect(refusalNote(size + 1)).toBeUndefined();
    expect(refusalNote(undefined)).toBeUndefined();
  });

  it('enough, or unknown: nothing to say', () => {
    expect(
      adviseWindow({ kind: 'vllm', contextSize: CLAUDE_CODE_NEEDED_CONTEXT, contextSource: 'x' }, URL_8080),
    ).toEqual({
      level: 'ok',
      contextSize: CLAUDE_CODE_NEEDED_CONTEXT,
    });
    expect(adviseWindow({ kind: 'openai', contextSource: 'unknown' }, URL_8080)).toEqual({
      level: 'unknown',
    });
    const health = healthContextFields({ kind: 'openai', contextSource: 'unknown' }, URL_8080, 'truncated');
    expect(health.warnings).toEqual(['truncated']);
  });

  it('an unknown server kind: the config is named, with the source of the number', () => {
    const a = adviseWindow({ kind: 'openai', contextSize: 8192, contextSource: 'config' }, URL_8080);
    expect(a.cause).toBe('the upstream serves 8192 tokens per request (config)');
    expect(a.fix).toMatch(/"contextSize"/);
  });
});
