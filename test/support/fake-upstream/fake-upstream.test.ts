// The fake upstream itself: what the tests that lean on it take for granted.
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeUpstream,
  faultAnswer,
  startFakeLlama,
  startFakeUpstream,
  startScriptedUpstream,
} from './index.js';

const fakes: FakeUpstream[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  for (const fake of fakes.splice(0)) await fake.close();
});
const track = async (started: Promise<FakeUpstream>) => {
  const fake = await started;
  fakes.push(fake);
  return fake;
};
const chat = (url: string, body: Record<string, unknown>, dispatcher?: Agent) =>
  request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    dispatcher,
  });

describe('startFakeUpstream', () => {
  it('answers from its routes first, then the chat answer, then `otherwise`; records each request', async () => {
    const fake = await track(
      startFakeUpstream({
        routes: { 'GET /v1/models': () => ({ body: { data: [] } }) },
        answer: (res) => void res.end('answered'),
        otherwise: (_body, r) => ({ status: 418, body: `no ${r.route}` }),
      }),
    );
    expect(await (await fetch(`${fake.url}/v1/models`)).json()).toEqual({ data: [] });
    expect(await (await chat(fake.url, { messages: [] })).body.text()).toBe('answered');
    const other = await fetch(`${fake.url}/props?x=1`);
    expect([other.status, await other.text()]).toEqual([418, 'no GET /props']);
    expect(fake.requests.map((r) => [r.route, r.query])).toEqual([
      ['GET /v1/models', ''],
      ['POST /v1/chat/completions', ''],
      ['GET /props', 'x=1'],
    ]);
    expect(fake.chatRequests().map((r) => r.body)).toEqual([{ messages: [] }]);
  });

  it('tells a request on a pooled connection from one on a new connection', async () => {
    const fake = await track(startFakeUpstream({ otherwise: { body: { ok: true } } }));
    const agent = new Agent({ connections: 1 });
    agents.push(agent);
    for (let i = 0; i < 2; i++) await (await request(`${fake.url}/x`, { dispatcher: agent })).body.text();
    expect(fake.requests.map((r) => [r.connection, r.reusedConnection])).toEqual([
      [1, false],
      [1, true],
    ]);
    expect(fake.connections).toBe(1);
  });
});

describe('faults', () => {
  it('`held` streams its first event, then the rest only on release()', async () => {
    const fake = await track(startFakeLlama({ answer: faultAnswer('held') }));
    const res = await chat(fake.url, { messages: [{ role: 'user', content: 'hi' }], stream: true });
    await fake.waitForCompletions(1);
    const reader = res.body[Symbol.asyncIterator]();
    const first = String((await reader.next()).value);
    expect(first).toMatch(/^data: .*"role":"assistant"/);
    fake.release();
    let rest = '';
    for (let next = await reader.next(); !next.done; next = await reader.next()) rest += String(next.value);
    expect(rest).toContain('data: [DONE]');
    await fake.completions[0]!.closed;
    expect(fake.completions[0]!.aborted).toBe(false);
  });

  it('a client that leaves a stalled answer counts as aborted', async () => {
    const fake = await track(startFakeLlama({ answer: faultAnswer('stall-mid-stream') }));
    const controller = new AbortController();
    const res = await request(`${fake.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [], stream: true }),
      signal: controller.signal,
    });
    await res.body[Symbol.asyncIterator]().next();
    controller.abort();
    await fake.completions[0]!.closed;
    expect(fake.aborted).toBe(1);
  });
});

describe('startScriptedUpstream', () => {
  it('plays the turns in order and reports a request the script has no turn for', async () => {
    const fake = await track(startScriptedUpstream({ script: [{ label: 'one', text: 'Hello there' }] }));
    const first = (await (
      await chat(fake.url, { messages: [{ role: 'user', content: 'a' }] })
    ).body.json()) as {
      choices: Array<{ message: { content: string } }>;
    };
    expect(first.choices[0]!.message.content).toBe('Hello there');
    expect(fake.problems).toEqual([]);
    await (await chat(fake.url, { messages: [{ role: 'user', content: 'b' }] })).body.text();
    expect(fake.problems).toEqual([expect.stringMatching(/^script exhausted at chat request #1/)]);
    expect(fake.chatRequests().map((r) => r.answeredWith)).toEqual(['one', 'script-exhausted']);
  });
});
