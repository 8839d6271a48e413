import { describe, expect, it } from 'vitest';
import { jsonStringEscape, renderTemplate } from '../../src/shell/template.js';

/** A shell-style `${HOME}`, spelled so that it is plainly not a JS template placeholder. */
const BRACED_HOME = ['$', '{HOME}'].join('');

describe('renderTemplate', () => {
  it('fills {{name}} (spaces inside the braces allowed), every occurrence, through the escaper', () => {
    expect(renderTemplate('{{a}}-{{ a }}-{{b_2}}', { a: 'x', b_2: 'y' })).toBe('x-x-y');
    expect(renderTemplate('"{{v}}"', { v: 'say "hi"\n' }, jsonStringEscape)).toBe('"say \\"hi\\"\\n"');
  });

  it('a placeholder without a value throws instead of writing a half-rendered file', () => {
    expect(() => renderTemplate('{{missing}}', {})).toThrow('template placeholder {{missing}} has no value');
  });

  it('text that is not a placeholder stays as it is', () => {
    const text = `${BRACED_HOME} {{ bad-name }} {single}`;
    expect(renderTemplate(text, {})).toBe(text);
  });
});

describe('jsonStringEscape', () => {
  it('what goes between the quotes of a JSON string', () => {
    expect(jsonStringEscape('C:\\x "y"\t')).toBe('C:\\\\x \\"y\\"\\t');
    expect(JSON.parse(`"${jsonStringEscape('\u0001é')}"`)).toBe('\u0001é');
  });
});
