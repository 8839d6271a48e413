// Golden files under test/fixtures/init/. Regenerate deliberately with UPDATE_GOLDEN=1; a missing
// golden file fails (it is never created silently).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Templates } from '../../src/shell/templates.js';
import { TEMPLATE_FILES } from '../../src/shell/templates.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/init/', import.meta.url));
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export function expectGolden(relative: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, relative);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file))
    throw new Error(`golden file ${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
  expect(actual, `golden ${relative}`).toBe(readFileSync(file, 'utf8'));
}

export function readTemplates(): Templates {
  const out = {} as Templates;
  for (const [k, f] of Object.entries(TEMPLATE_FILES))
    out[k as keyof Templates] = readFileSync(path.join(TEMPLATES_DIR, f), 'utf8');
  return out;
}
