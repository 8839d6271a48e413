// Ollama's launch: the server with OLLAMA_CONTEXT_LENGTH and a model created with num_ctx (design.md §5).
import { describe, expect, it } from 'vitest';
import { generateLaunch } from '../../src/launch/generate.js';
import { ollamaModelName } from '../../src/upstreams/ollama.js';
import { base, templates } from '../support/launch-profile.js';

describe('Ollama', () => {
  it('sets OLLAMA_CONTEXT_LENGTH and creates a model from a Modelfile with num_ctx', () => {
    const plan = generateLaunch(
      { ...base, port: 11434, backend: 'ollama', model: 'deepseek-r1:14b', modelfilePath: '/x/Modelfile' },
      templates,
    );
    expect(plan.server.env).toEqual({ OLLAMA_HOST: '127.0.0.1:11434', OLLAMA_CONTEXT_LENGTH: '65536' });
    expect(plan.server.args).toEqual(['serve']);
    expect(plan.files[0]!.content).toMatch(/^FROM deepseek-r1:14b$/m);
    expect(plan.files[0]!.content).toMatch(/^PARAMETER num_ctx 65536$/m);
    expect(plan.afterReady[0]!.args).toEqual(['create', 'deepseek-r1-14b-dsb', '-f', '/x/Modelfile']);
    expect(plan.servedModel).toBe(ollamaModelName('deepseek-r1:14b'));
    expect(plan.readinessPath).toBe('/api/version');
  });
});
