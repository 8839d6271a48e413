import { describe, expect, it } from 'vitest';
import {
  chatCompletionsUrl,
  contextFromModels,
  contextFromProps,
  errorMessageOf,
  firstModelId,
  modelsUrl,
  parseJson,
  readHealthBody,
} from '../../src/probe/bodies.js';

describe('reading the bodies the bridge and the upstream answer', () => {
  it('builds the upstream chat completions URL with or without /v1', () => {
    expect(chatCompletionsUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/v1/chat/completions');
    expect(chatCompletionsUrl('https://api.deepseek.com/v1/')).toBe(
      'https://api.deepseek.com/v1/chat/completions',
    );
  });

  it('builds the upstream models URL with or without /v1', () => {
    expect(modelsUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/v1/models');
    expect(modelsUrl('https://api.deepseek.com/v1')).toBe('https://api.deepseek.com/v1/models');
  });

  it('reads /health defensively', () => {
    expect(
      readHealthBody({
        upstreams: [{ url: 'http://u:1', model: 'm', contextSize: 8192, reachable: false, name: 'u' }],
      }),
    ).toEqual({
      upstreamUrl: 'http://u:1',
      upstreamModel: 'm',
      contextSize: 8192,
      unhealthy: ['u'],
    });
    expect(readHealthBody({ upstreams: [{ url: 'http://u:1', contextSize: null }] })).toEqual({
      upstreamUrl: 'http://u:1',
      unhealthy: [],
    });
    expect(readHealthBody('OK')).toEqual({ unhealthy: [] });
  });

  it('reads a single `upstream` object or string, and every bad state word', () => {
    expect(readHealthBody({ upstream: { url: 'http://one', state: 'DOWN' } })).toEqual({
      upstreamUrl: 'http://one',
      unhealthy: ['http://one'],
    });
    expect(readHealthBody({ upstream: 'http://two' })).toEqual({ upstreamUrl: 'http://two', unhealthy: [] });
    const states = ['down', 'unreachable', 'error', 'unhealthy', 'ok'];
    const body = { upstreams: states.map((status, i) => ({ name: `u${i}`, status })) };
    expect(readHealthBody(body).unhealthy).toEqual(['u0', 'u1', 'u2', 'u3']);
    expect(readHealthBody({ upstreams: [{ ok: false }, { healthy: false, url: 'h' }] }).unhealthy).toEqual([
      '?',
      'h',
    ]);
  });

  it('quotes the error message of an Anthropic or OpenAI body, else the start of the text', () => {
    expect(errorMessageOf({ type: 'error', error: { type: 'x', message: 'bad thing' } }, '')).toBe(
      'bad thing',
    );
    expect(errorMessageOf(undefined, '  plain text \n')).toBe('plain text');
    expect(errorMessageOf(undefined, '')).toBe('(empty body)');
    const long = 'x'.repeat(300);
    expect(errorMessageOf(undefined, long)).toBe(`${'x'.repeat(197)}...`);
  });

  it('parses JSON, or gives undefined', () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseJson('nope')).toBeUndefined();
  });

  it("finds the upstream's context in /props and /v1/models, only when positive", () => {
    expect(contextFromProps({ default_generation_settings: { n_ctx: 4096 } })).toBe(4096);
    expect(contextFromProps({ default_generation_settings: { n_ctx: 0 } })).toBeUndefined();
    expect(contextFromProps('x')).toBeUndefined();
    expect(contextFromModels({ data: [{ id: 'm', meta: { n_ctx: 8192 } }] })).toBe(8192);
    expect(contextFromModels({ data: [{ id: 'm', max_model_len: 32768 }] })).toBe(32768);
    // llama.cpp's meta wins even when it lacks n_ctx: max_model_len is vLLM's, not read beside meta.
    expect(contextFromModels({ data: [{ meta: {}, max_model_len: 32768 }] })).toBeUndefined();
    expect(contextFromModels({ data: [] })).toBeUndefined();
  });

  it('reads the first model id of /v1/models', () => {
    expect(firstModelId({ data: [{ id: 'deepseek' }, { id: 'other' }] })).toBe('deepseek');
    expect(firstModelId({ data: [{ name: 'no id' }] })).toBeUndefined();
    expect(firstModelId(undefined)).toBeUndefined();
  });
});
