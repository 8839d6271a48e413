import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertUpstreamError, detectOutputTooLarge } from '../../../src/bridge/translate/errors.js';

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '../../fixtures/llama-server', `${name}.body`), 'utf8');
const ctx = { url: 'http://127.0.0.1:8080', model: 'm' };

describe('convertUpstreamError', () => {
  it('rewrites llama.cpp exceed_context_size_error (400, recorded) to prompt is too long', () => {
    const e = convertUpstreamError(400, fixture('13_ctx_overflow'), {}, ctx);
    expect([e.status, e.type, e.message]).toEqual([
      400,
      'invalid_request_error',
      'prompt is too long: 18062 tokens > 8192 maximum',
    ]);
  });

  it('rewrites the older llama.cpp builds that answer the same body with 500', () => {
    const e = convertUpstreamError(
      500,
      fixture('13_ctx_overflow').replace('"code":400', '"code":500'),
      {},
      ctx,
    );
    expect(e.message).toBe('prompt is too long: 18062 tokens > 8192 maximum');
    expect(e.status).toBe(400);
  });

  it('rewrites vLLM and DeepSeek API wording', () => {
    const vllm = JSON.stringify({
      object: 'error',
      message:
        "This model's maximum context length is 131072 tokens. However, you requested 131329 tokens (123137 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.",
      type: 'BadRequestError',
      param: null,
      code: 400,
    });
    expect(convertUpstreamError(400, vllm, {}, ctx).message).toBe(
      'prompt is too long: 131329 tokens > 131072 maximum',
    );
    const deepseek = JSON.stringify({
      error: {
        message:
          "This model's maximum context length is 1048576 tokens. However, you requested 1100000 tokens (1090000 in the messages, 10000 in the completion).",
        type: 'invalid_request_error',
      },
    });
    expect(convertUpstreamError(400, deepseek, {}, ctx).message).toBe(
      'prompt is too long: 1100000 tokens > 1048576 maximum',
    );
  });

  it('rewrites the newer vLLM wording that names the input tokens, and gateway wording with "about"', () => {
    const input = JSON.stringify({
      error: {
        message:
          "This model's maximum context length is 1536 tokens. However, your request has 4176 input tokens. Please reduce the length of the input messages.",
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    });
    expect(convertUpstreamError(400, input, {}, ctx).message).toBe(
      'prompt is too long: 4176 tokens > 1536 maximum',
    );
    const about = JSON.stringify({
      error: {
        message:
          "This endpoint's maximum context length is 1048576 tokens. However, you requested about 1293741 tokens (1227853 of text input, 353 of tool input, 65535 in the output).",
        code: 400,
      },
    });
    expect(convertUpstreamError(400, about, {}, ctx).message).toBe(
      'prompt is too long: 1293741 tokens > 1048576 maximum',
    );
  });

  it("tells a too-large max_tokens (the bridge's to fix) from a too-long prompt", () => {
    const body = JSON.stringify({
      error: {
        message:
          "'max_tokens' or 'max_completion_tokens' is too large: 8000. This model's maximum context length is 4096 tokens and your request has 2778 input tokens (8000 > 4096 - 2778). None",
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    });
    expect(detectOutputTooLarge(body)).toEqual({ contextSize: 4096, inputTokens: 2778 });
    expect(
      detectOutputTooLarge(
        readFileSync(
          path.join(import.meta.dirname, '../../fixtures/llama-server/13_ctx_overflow.body'),
          'utf8',
        ),
      ),
    ).toBeUndefined();
  });

  it('rewrites an Ollama-style string error using the bridge count and known context', () => {
    const e = convertUpstreamError(
      400,
      JSON.stringify({ error: 'the input length exceeds the context length' }),
      {},
      { ...ctx, promptTokens: 9000, contextSize: 8192 },
    );
    expect(e.message).toBe('prompt is too long: 9000 tokens > 8192 maximum');
  });

  it('keeps other errors in Anthropic shape with the right type and status', () => {
    expect(convertUpstreamError(500, fixture('24_bad_json'), {}, ctx)).toMatchObject({
      status: 500,
      type: 'api_error',
    });
    expect(convertUpstreamError(400, fixture('33_chat_n2'), {}, ctx)).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
    });
    expect(
      convertUpstreamError(
        503,
        '{"error":{"message":"Loading model","type":"unavailable_error","code":503}}',
        {},
        ctx,
      ),
    ).toMatchObject({
      status: 503,
      type: 'overloaded_error',
    });
    const limited = convertUpstreamError(429, '{"error":"slow down"}', { 'retry-after': '7' }, ctx);
    expect([limited.status, limited.type, limited.headers['retry-after']]).toEqual([
      429,
      'rate_limit_error',
      '7',
    ]);
    const auth = convertUpstreamError(401, '{"error":{"message":"Authentication Fails"}}', {}, ctx);
    expect(auth.headers['x-should-retry']).toBe('false');
    expect(auth.message).toMatch(/apiKey/);
    expect(convertUpstreamError(404, fixture('26_unknown_route'), {}, ctx)).toMatchObject({
      status: 404,
      type: 'not_found_error',
    });
  });
});
