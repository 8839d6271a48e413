// Issue 13 item 4: an upstream that echoes the Authorization header in its 401 must not make
// `dsb doctor --json` / `--verbose` print the upstream key. Real checks, real HTTP, a scripted upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/checks/doctor.js';
import { renderReport } from '../../src/checks/render.js';
import { createCheckContext } from '../../src/checks/runner.js';
import { configSchema } from '../../src/config/schema.js';
import { createSystemContext } from '../../src/system/node.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream/index.js';

// Not shaped like an `sk-` key: only the exact-secret part of the redactor can catch it.
const KEY = 'upstream-key-9f8e7d6c5b4a3210';
let upstream: FakeUpstream;
let url: string;

beforeAll(async () => {
  // Whatever it is asked: a 401 that echoes the Authorization header it got, in several encodings.
  upstream = await startFakeUpstream({
    otherwise: (_body, request) => {
      const auth = String(request.headers.authorization ?? '');
      return {
        status: 401,
        headers: { 'x-echo': auth },
        body: {
          error: {
            message: `Incorrect API key provided: ${auth.replace(/^Bearer /, '')}. You sent ${auth}`,
            type: 'invalid_request_error',
            echoed: {
              authorization: auth,
              key: auth.slice(7),
              b64: Buffer.from(auth.slice(7)).toString('base64'),
            },
          },
        },
      };
    },
  });
  url = upstream.url;
});
afterAll(() => upstream.close());

describe('dsb doctor with an upstream that echoes the key in its 401', () => {
  it('neither the JSON report nor the verbose text carries the key', async () => {
    const config = configSchema.parse({ upstreams: [{ url, apiKey: KEY, kind: 'deepseek-api' }] });
    const ctx = createCheckContext({
      system: createSystemContext(),
      config,
      upstreamUrl: url,
      bridgeUrl: 'http://127.0.0.1:1',
      verbose: true,
    });
    const report = await runDoctor(ctx, { ids: ['upstream-openai', 'upstream-context', 'upstream-tools'] });
    const json = JSON.stringify(report);
    const text = renderReport(report, { color: false, verbose: true });
    // The upstream was asked with the key and refused it: the report speaks of that refusal.
    expect(json).toMatch(/401|key|auth/i);
    for (const out of [json, text]) {
      expect(out).not.toContain(KEY);
      expect(out).not.toContain(Buffer.from(KEY).toString('base64').slice(0, 20));
    }
  });
});
