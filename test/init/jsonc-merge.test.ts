import { describe, expect, it } from 'vitest';
import {
  detectFormatting,
  JsonDocument,
  MergeError,
  mergeNameValueArray,
} from '../../src/init/jsonc-merge.js';

describe('JsonDocument', () => {
  it('keeps comments, unknown keys, trailing commas and indentation of JSONC', () => {
    const src = '{\n\t// my font\n\t"editor.fontSize": 14, /* block */\n\t"x": [1, 2,],\n}\n';
    const doc = new JsonDocument('s.json', src, 'jsonc');
    doc.set(['claudeCode.disableLoginPrompt'], true);
    const out = doc.result(src);
    expect(out).toContain('// my font');
    expect(out).toContain('/* block */');
    // jsonc-parser re-formats the property next to an insertion; its value is untouched.
    expect(new JsonDocument('s.json', out, 'jsonc').get(['x'])).toEqual([1, 2]);
    expect(new JsonDocument('s.json', out, 'jsonc').get(['editor.fontSize'])).toBe(14);
    expect(out).toMatch(/\n\t"claudeCode.disableLoginPrompt": true/);
  });
  it('leaves the bytes alone when the value is already there', () => {
    const src = '{ "env": { "A": "1" }, "z": true }';
    const doc = new JsonDocument('s.json', src, 'json');
    doc.set(['env', 'A'], '1');
    expect(doc.result(src)).toBe(src);
  });
  it('strict JSON rejects comments, with line and column', () => {
    expect(() => new JsonDocument('/h/.claude/settings.json', '{\n  "a": 1 // no\n}', 'json')).toThrow(
      /settings.json is not valid JSON: InvalidCommentToken at line 2, column 10/,
    );
    expect(() => new JsonDocument('f', '[1]', 'json')).toThrow(MergeError);
    expect(() => new JsonDocument('f', '{"a": ', 'jsonc')).toThrow(/ValueExpected/);
  });
  it('an empty or missing file starts as an empty object', () => {
    for (const src of [undefined, '', '  \n']) {
      const doc = new JsonDocument('f', src, 'json');
      doc.set(['env', 'A'], 'x');
      expect(JSON.parse(doc.result(src))).toEqual({ env: { A: 'x' } });
    }
  });
  it('detects 4-space and CRLF formatting', () => {
    expect(detectFormatting('{\r\n    "a": 1\r\n}')).toEqual({ insertSpaces: true, tabSize: 4, eol: '\r\n' });
  });
});

describe('mergeNameValueArray', () => {
  it('updates by name in place, appends new names, keeps other items and their comments', () => {
    const src =
      '{\n  "v": [\n    { "name": "KEEP", "value": "1" }, // mine\n    { "name": "B", "value": "old" }\n  ]\n}\n';
    const doc = new JsonDocument('f', src, 'jsonc');
    mergeNameValueArray(
      doc,
      ['v'],
      [
        { name: 'B', value: 'new' },
        { name: 'C', value: '3' },
      ],
    );
    const out = doc.result(src);
    expect(out).toContain('// mine');
    expect(doc.get(['v'])).toEqual([
      { name: 'KEEP', value: '1' },
      { name: 'B', value: 'new' },
      { name: 'C', value: '3' },
    ]);
    const again = new JsonDocument('f', out, 'jsonc');
    mergeNameValueArray(
      again,
      ['v'],
      [
        { name: 'B', value: 'new' },
        { name: 'C', value: '3' },
      ],
    );
    expect(again.result(out)).toBe(out);
  });
  it('replaces a value that is not an array', () => {
    const doc = new JsonDocument('f', '{"v": {"A": "1"}}', 'jsonc');
    mergeNameValueArray(doc, ['v'], [{ name: 'A', value: '2' }]);
    expect(doc.get(['v'])).toEqual([{ name: 'A', value: '2' }]);
  });
});
