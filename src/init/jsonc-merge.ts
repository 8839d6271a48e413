// Edits JSON / JSONC text in place with jsonc-parser's `modify` + `applyEdits`: only the values dsb
// owns change; every other key, comment, blank line and the file's indentation survive.
import {
  applyEdits,
  type FormattingOptions,
  findNodeAtLocation,
  getNodeValue,
  type JSONPath,
  modify,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { DsbError } from '../errors.js';

export class MergeError extends DsbError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super('MERGE_FAILED', message, { details: { file } });
    this.name = 'MergeError';
  }
}

export type JsonFlavor = 'json' | 'jsonc';

function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** Indentation and line ending of an existing document (defaults: 2 spaces, \n). */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indented = /^([ \t]+)\S/m.exec(text);
  if (indented?.[1]?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  const width = indented?.[1]?.length ?? 2;
  return { insertSpaces: true, tabSize: width > 0 && width <= 8 ? width : 2, eol };
}

/**
 * A JSON(C) document being edited. Throws MergeError when the text does not parse (`json` also
 * rejects comments and trailing commas) or its root is not an object.
 */
export class JsonDocument {
  private text: string;
  private readonly formatting: FormattingOptions;

  constructor(
    readonly file: string,
    original: string | undefined,
    readonly flavor: JsonFlavor,
  ) {
    const blank = original === undefined || original.trim() === '';
    this.text = blank ? '{}' : original;
    this.formatting = detectFormatting(blank ? '' : original);
    const errors: ParseError[] = [];
    const root = parseTree(this.text, errors, {
      allowTrailingComma: flavor === 'jsonc',
      disallowComments: flavor === 'json',
      allowEmptyContent: false,
    });
    if (errors.length > 0) {
      const first = errors[0]!;
      const at = lineCol(this.text, first.offset);
      const kind = flavor === 'json' ? 'JSON' : 'JSON with comments';
      throw new MergeError(
        file,
        `${file} is not valid ${kind}: ${printParseErrorCode(first.error)} at line ${at.line}, column ${at.column}`,
      );
    }
    if (root?.type !== 'object')
      throw new MergeError(file, `${file} must hold a JSON object at the top level`);
  }

  get(path: JSONPath): unknown {
    const root = parseTree(this.text, [], { allowTrailingComma: true });
    if (!root) return undefined;
    const node = findNodeAtLocation(root, path);
    return node ? getNodeValue(node) : undefined;
  }

  /** Sets a value unless it is already deep-equal (so a second run leaves the bytes alone). */
  set(path: JSONPath, value: unknown): void {
    if (deepEqual(this.get(path), value)) return;
    this.text = applyEdits(this.text, modify(this.text, path, value, { formattingOptions: this.formatting }));
  }

  /** Appends an item to the array at `path`. */
  append(path: JSONPath, value: unknown): void {
    this.text = applyEdits(
      this.text,
      modify(this.text, [...path, -1], value, { formattingOptions: this.formatting, isArrayInsertion: true }),
    );
  }

  /** The edited text; an existing file keeps its final-newline choice, a new one gets one. */
  result(original: string | undefined): string {
    if (this.text.endsWith('\n')) return this.text;
    if (original !== undefined && original.trim() !== '' && !original.endsWith('\n')) return this.text;
    return `${this.text}${this.formatting.eol ?? '\n'}`;
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => deepEqual(ao[k], bo[k]));
}

/**
 * Puts `{name, value}` items into the array at `path` (VS Code's `claudeCode.environmentVariables`):
 * existing items with the same name are updated in place, new ones appended, others left alone.
 * A value that is not an array is replaced by one.
 */
export function mergeNameValueArray(
  doc: JsonDocument,
  path: JSONPath,
  items: Array<{ name: string; value: string }>,
): void {
  const current = doc.get(path);
  if (!Array.isArray(current)) {
    doc.set(path, items);
    return;
  }
  for (const item of items) {
    const index = (doc.get(path) as unknown[]).findIndex(
      (e) => typeof e === 'object' && e !== null && (e as { name?: unknown }).name === item.name,
    );
    if (index === -1) doc.append(path, item);
    else doc.set([...path, index, 'value'], item.value);
  }
}
