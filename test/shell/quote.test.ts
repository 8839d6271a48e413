import { describe, expect, it } from 'vitest';
import {
  psString,
  quoteFor,
  quotePowerShell,
  quoteSh,
  quoteSystemd,
  quoteWindowsArg,
} from '../../src/shell/quote.js';

describe('quoteSh', () => {
  it('leaves safe words bare, single-quotes the rest, and writes a quote as quote-escaped-quote', () => {
    expect(quoteSh('/models/a-1.gguf')).toBe('/models/a-1.gguf');
    expect(quoteSh('--ctx-size=8192')).toBe('--ctx-size=8192');
    expect(quoteSh('a b')).toBe("'a b'");
    expect(quoteSh('$HOME')).toBe("'$HOME'");
    expect(quoteSh("it's")).toBe("'it'\\''s'");
    expect(quoteSh('')).toBe("''");
    expect(quoteSh('~/x')).toBe("'~/x'");
  });
});

describe('quotePowerShell and psString', () => {
  it('bare for safe words (backslashes included); quoted for PowerShell syntax and --%', () => {
    expect(quotePowerShell('C:\\models\\a.gguf')).toBe('C:\\models\\a.gguf');
    expect(quotePowerShell('--port')).toBe('--port');
    for (const w of ['a,b', '@args', '$x', '`n', 'a b', '(x)', '{x}', '--%', ''])
      expect(quotePowerShell(w)).toBe(psString(w));
  });

  it('a verbatim string that doubles straight and typographic single quotes', () => {
    expect(psString("it's")).toBe("'it''s'");
    expect(psString('a\u2019b\u2018c')).toBe("'a\u2019\u2019b\u2018\u2018c'");
    expect(psString('$env:X')).toBe("'$env:X'");
  });

  it('quoteFor picks the shell', () => {
    expect(quoteFor('sh', "a'b")).toBe(quoteSh("a'b"));
    expect(quoteFor('powershell', "a'b")).toBe(psString("a'b"));
  });
});

describe('quoteSystemd', () => {
  it('doubles % and $ (specifiers, variables); double-quotes words with spaces, quotes or backslashes', () => {
    expect(quoteSystemd('/usr/bin/dsb')).toBe('/usr/bin/dsb');
    expect(quoteSystemd('50%')).toBe('50%%');
    expect(quoteSystemd('$HOME')).toBe('$$HOME');
    expect(quoteSystemd('/my models/a.gguf')).toBe('"/my models/a.gguf"');
    expect(quoteSystemd('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteSystemd('a\\b')).toBe('"a\\\\b"');
  });
});

describe('quoteWindowsArg', () => {
  it('double-quotes only words with white space or a double quote', () => {
    expect(quoteWindowsArg('C:\\dsb\\run.js')).toBe('C:\\dsb\\run.js');
    expect(quoteWindowsArg('C:\\Program Files\\dsb')).toBe('"C:\\Program Files\\dsb"');
    expect(quoteWindowsArg('a"b')).toBe('"a\\"b"');
    expect(quoteWindowsArg('tab\there')).toBe('"tab\there"');
  });
});
