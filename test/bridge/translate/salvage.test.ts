import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SalvagedCall, ToolCallSalvager } from '../../../src/bridge/translate/salvage.js';

const BAR = '\uFF5C'; // FULLWIDTH VERTICAL LINE, as in DeepSeek's own encoder
const D = `${BAR}DSML${BAR}`;

/** Feeds the pieces one by one; returns what each push emitted, the end text and the calls. */
function run(pieces: readonly string[], toolNames = ['Read', 'Bash', 'TodoWrite']) {
  const salvager = new ToolCallSalvager({ toolNames });
  const emitted = pieces.map((piece) => salvager.push(piece).text);
  const end = salvager.end();
  return { emitted, endText: end.text, text: emitted.join('') + end.text, calls: end.calls, salvager };
}

const args = (call: SalvagedCall) => JSON.parse(call.arguments) as unknown;

const HERMES_TEXT =
  'Let me read it.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/tmp/a.ts", "limit": 20}}\n</tool_call>';

describe('ToolCallSalvager: plain text', () => {
  it('passes text without markup through unchanged, in the same push', () => {
    const pieces = ['Hello', ', world.\n', 'No tools here: just text ', 'and code `a => b`.'];
    const { emitted, endText, calls } = run(pieces);
    expect(emitted).toEqual(pieces);
    expect(endText).toBe('');
    expect(calls).toEqual([]);
  });

  it('emits a < that turns out not to start markup as soon as the next text shows it', () => {
    const s = new ToolCallSalvager({ toolNames: ['Read'] });
    expect(s.push('if (a <').text).toBe('if (a ');
    expect(s.push(' b) {').text).toBe('< b) {');
    expect(s.push('x<').text).toBe('x');
    expect(s.push('y').text).toBe('<y');
    expect(s.push('Vec<T> and a<b in one push').text).toBe('Vec<T> and a<b in one push');
    expect(s.end()).toEqual({ text: '', calls: [] });
  });

  it('holds a growing marker prefix only while it can still be a marker', () => {
    const s = new ToolCallSalvager({ toolNames: ['Read'] });
    expect(s.push('see <').text).toBe('see ');
    expect(s.push('tool').text).toBe('');
    expect(s.push('_').text).toBe('');
    expect(s.push('calls').text).toBe('<tool_calls'); // `<tool_call` then `s`: no longer a marker
    expect(s.push(` <${BAR}DS`).text).toBe(' ');
    expect(s.push('L and more').text).toBe(`<${BAR}DSL and more`);
  });

  it('gives back a held prefix at the end', () => {
    const { text, calls } = run(['x <tool_ca']);
    expect(text).toBe('x <tool_ca');
    expect(calls).toEqual([]);
  });

  it('never loses or reorders text without markup, however it is split, and holds back little', () => {
    // Text that is heavy on `<` and marker fragments but contains no whole start marker.
    const alphabet = fc.constantFrom('<', 'a', ' ', '\n', 'tool', '_call', '>', BAR, 'DSML', '/', '{');
    fc.assert(
      fc.property(
        fc.array(
          fc.array(alphabet, { maxLength: 8 }).map((p) => p.join('')),
          { maxLength: 12 },
        ),
        (pieces) => {
          const all = pieces.join('');
          fc.pre(!all.includes('<tool_call>') && !all.includes(`<${D}`));
          const s = new ToolCallSalvager({ toolNames: ['Read'] });
          let out = '';
          let fed = '';
          for (const piece of pieces) {
            out += s.push(piece).text;
            fed += piece;
            // Only a partial start marker may be held, so never more than the longest marker less one.
            expect(fed.length - out.length).toBeLessThan(`<${D}function_calls>`.length);
            expect(fed.startsWith(out)).toBe(true);
          }
          const end = s.end();
          expect(out + end.text).toBe(all);
          expect(end.calls).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('ToolCallSalvager: Hermes <tool_call>', () => {
  it('turns a block into a call and keeps the text before it', () => {
    const { text, calls } = run([HERMES_TEXT]);
    expect(text).toBe('Let me read it.\n');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.name).toBe('Read');
    expect(args(calls[0]!)).toEqual({ file_path: '/tmp/a.ts', limit: 20 });
  });

  it('gives the same text and calls when the block is split at every offset', () => {
    const whole = run([HERMES_TEXT]);
    for (let i = 0; i <= HERMES_TEXT.length; i++) {
      for (const j of [i, Math.min(HERMES_TEXT.length, i + 1), Math.min(HERMES_TEXT.length, i + 7)]) {
        const split = run([HERMES_TEXT.slice(0, i), HERMES_TEXT.slice(i, j), HERMES_TEXT.slice(j)]);
        expect(split.text).toBe(whole.text);
        expect(split.calls).toEqual(whole.calls);
      }
    }
    const byChar = run([...HERMES_TEXT]);
    expect(byChar.text).toBe(whole.text);
    expect(byChar.calls).toEqual(whole.calls);
  });

  it('emits the text before a block at once, and nothing of the block while it is open', () => {
    const s = new ToolCallSalvager({ toolNames: ['Read'] });
    expect(s.push('Reading.\n<tool_call>{"name": "Re').text).toBe('Reading.\n');
    expect(s.push('ad", "arguments": {}}').text).toBe('');
    expect(s.push('</tool_').text).toBe('');
    expect(s.push('call> Then I will ').text).toBe(' Then I will ');
    expect(s.push('summarise.').text).toBe('summarise.');
    const end = s.end();
    expect(end.text).toBe('');
    expect(end.calls).toEqual([{ name: 'Read', arguments: '{}' }]);
  });

  it('takes several blocks and drops only the whitespace between and after them', () => {
    const block = (name: string, a: object) =>
      `<tool_call>\n${JSON.stringify({ name, arguments: a })}\n</tool_call>`;
    const text = `Two reads.\n\n${block('Read', { file_path: 'a' })}\n${block('Read', { file_path: 'b' })}\n\n`;
    const { text: shown, calls } = run([text]);
    expect(shown).toBe('Two reads.\n\n');
    expect(calls.map(args)).toEqual([{ file_path: 'a' }, { file_path: 'b' }]);

    // Whitespace followed by real text is text, and kept whole.
    const after = run([`${block('Read', { file_path: 'a' })}\n\nDone.`]);
    expect(after.text).toBe('\n\nDone.');
    expect(after.calls).toHaveLength(1);
  });

  it('accepts arguments given as a JSON string, and a call without arguments', () => {
    const { calls } = run([
      '<tool_call>{"name": "Bash", "arguments": "{\\"command\\": \\"ls\\"}"}</tool_call>',
      '<tool_call>{"name": "TodoWrite"}</tool_call>',
    ]);
    expect(calls).toEqual([
      { name: 'Bash', arguments: '{"command":"ls"}' },
      { name: 'TodoWrite', arguments: '{}' },
    ]);
  });

  it('takes a last block whose closing tag never came when its JSON is complete', () => {
    const { text, calls } = run(['Ok.\n<tool_call>\n{"name": "Bash", "arguments": {"command": "pwd"}}\n']);
    expect(text).toBe('Ok.\n');
    expect(calls).toEqual([{ name: 'Bash', arguments: '{"command":"pwd"}' }]);
  });

  it('leaves a block that calls a tool the request did not offer as text', () => {
    const raw = '<tool_call>{"name": "rm_rf", "arguments": {"path": "/"}}</tool_call>';
    const { text, calls, salvager } = run([`Hmm: ${raw} end`]);
    expect(text).toBe(`Hmm: ${raw} end`);
    expect(calls).toEqual([]);
    expect(salvager.warnings.join('\n')).toMatch(/rm_rf, a tool the request did not offer/);
  });

  it('leaves malformed blocks as text, in order', () => {
    for (const raw of [
      '<tool_call>{"name": "Read", "arguments": {"file_path": </tool_call>',
      '<tool_call>not json</tool_call>',
      '<tool_call>{"arguments": {}}</tool_call>',
      '<tool_call>{"name": "Read", "arguments": [1, 2]}</tool_call>',
      '<tool_call>["Read"]</tool_call>',
      '<tool_call>{"name": "Read", "arguments": {"a": 1}} trailing words', // cut off and not JSON
    ]) {
      const { text, calls, salvager } = run(['Before ', raw, ' after']);
      expect(text).toBe(`Before ${raw} after`);
      expect(calls).toEqual([]);
      expect(salvager.warnings).toHaveLength(1);
    }
  });
});

describe('ToolCallSalvager: DeepSeek DSML', () => {
  // Laid out as DeepSeek's encoder writes it: "\n\n" before the block, one tag per line.
  const dsml = (wrapper: string) =>
    [
      'I will look first.',
      '',
      `<${D}${wrapper}>`,
      `<${D}invoke name="Bash">`,
      `<${D}parameter name="command" string="true">grep -n "a<b" src/*.ts</${D}parameter>`,
      `<${D}parameter name="timeout" string="false">5000</${D}parameter>`,
      `</${D}invoke>`,
      `<${D}invoke name="TodoWrite">`,
      `<${D}parameter name="todos" string="false">[{"content": "fix", "status": "pending"}]</${D}parameter>`,
      `<${D}parameter name="merge" string="false">true</${D}parameter>`,
      `<${D}parameter name="note" string="true">line one\nline "two"</${D}parameter>`,
      `</${D}invoke>`,
      `</${D}${wrapper}>`,
    ].join('\n');

  for (const wrapper of ['function_calls', 'tool_calls']) {
    it(`parses two invokes with string and JSON parameters (${wrapper} wrapper)`, () => {
      const text = dsml(wrapper);
      const { text: shown, calls } = run([text]);
      expect(shown).toBe('I will look first.\n\n');
      expect(calls.map((c) => c.name)).toEqual(['Bash', 'TodoWrite']);
      expect(args(calls[0]!)).toEqual({ command: 'grep -n "a<b" src/*.ts', timeout: 5000 });
      expect(args(calls[1]!)).toEqual({
        todos: [{ content: 'fix', status: 'pending' }],
        merge: true,
        note: 'line one\nline "two"',
      });

      // Split at every offset (two pieces) and byte by byte: the same result.
      for (let i = 0; i <= text.length; i++) {
        const split = run([text.slice(0, i), text.slice(i)]);
        expect(split.text).toBe(shown);
        expect(split.calls).toEqual(calls);
      }
      expect(run([...text]).calls).toEqual(calls);
    });
  }

  it('takes an invoke without parameters and lenient attribute spacing', () => {
    const text = `<${D}function_calls><${D}invoke  name="TodoWrite" ></${D}invoke></${D}function_calls>`;
    expect(run([text]).calls).toEqual([{ name: 'TodoWrite', arguments: '{}' }]);
  });

  it('keeps a parameter named __proto__ as a plain key', () => {
    const text = `<${D}function_calls><${D}invoke name="Bash"><${D}parameter name="__proto__" string="false">{"x": 1}</${D}parameter></${D}invoke></${D}function_calls>`;
    expect(run([text]).calls[0]!.arguments).toBe('{"__proto__":{"x":1}}');
  });

  it('leaves malformed DSML as text', () => {
    const bad = [
      // string="false" but not JSON
      `<${D}function_calls>\n<${D}invoke name="Bash">\n<${D}parameter name="timeout" string="false">five</${D}parameter>\n</${D}invoke>\n</${D}function_calls>`,
      // stray text between invokes
      `<${D}function_calls>\nnow\n<${D}invoke name="Bash">\n</${D}invoke>\n</${D}function_calls>`,
      // invoke never closed inside the block
      `<${D}function_calls>\n<${D}invoke name="Bash">\n</${D}function_calls>`,
      // duplicate parameter
      `<${D}function_calls><${D}invoke name="Bash"><${D}parameter name="a" string="true">1</${D}parameter><${D}parameter name="a" string="true">2</${D}parameter></${D}invoke></${D}function_calls>`,
      // no string attribute
      `<${D}function_calls><${D}invoke name="Bash"><${D}parameter name="a">1</${D}parameter></${D}invoke></${D}function_calls>`,
      // empty block
      `<${D}function_calls>\n</${D}function_calls>`,
      // ASCII bars are not DeepSeek's markup: plain text from the start
      '<|DSML|function_calls><|DSML|invoke name="Bash"></|DSML|invoke></|DSML|function_calls>',
    ];
    for (const raw of bad) {
      const { text, calls } = run(['a ', raw, ' b']);
      expect(text).toBe(`a ${raw} b`);
      expect(calls).toEqual([]);
    }
  });

  it('leaves a DSML block cut off by the end of the answer as text', () => {
    const raw = `<${D}function_calls>\n<${D}invoke name="Bash">\n<${D}parameter name="command" string="true">ls`;
    const { text, calls, emitted } = run(['ok ', raw]);
    expect(emitted).toEqual(['ok ', '']);
    expect(text).toBe(`ok ${raw}`);
    expect(calls).toEqual([]);
  });

  it('leaves the whole block as text when one invoke names an unknown tool', () => {
    const raw = `<${D}function_calls><${D}invoke name="Bash"></${D}invoke><${D}invoke name="Nope"></${D}invoke></${D}function_calls>`;
    const { text, calls } = run([raw]);
    expect(text).toBe(raw);
    expect(calls).toEqual([]);
  });

  it('handles DSML and Hermes blocks in one answer, in order', () => {
    const raw = `A<${D}tool_calls><${D}invoke name="Read"><${D}parameter name="file_path" string="true">x</${D}parameter></${D}invoke></${D}tool_calls>B<tool_call>{"name":"Bash","arguments":{"command":"y"}}</tool_call>C`;
    const { text, calls } = run([raw]);
    expect(text).toBe('ABC');
    expect(calls).toEqual([
      { name: 'Read', arguments: '{"file_path":"x"}' },
      { name: 'Bash', arguments: '{"command":"y"}' },
    ]);
  });

  it('refuses push() after end()', () => {
    const s = new ToolCallSalvager({ toolNames: [] });
    s.end();
    expect(() => s.push('x')).toThrow(/after end/);
    expect(s.end()).toEqual({ text: '', calls: [] });
  });
});
