import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplates, TEMPLATE_FILES, templatesDir } from '../../src/shell/templates.js';
import { createSystemContext } from '../../src/system/node.js';

describe('loadTemplates', () => {
  it('reads every template shipped in templates/', async () => {
    const templates = await loadTemplates(createSystemContext());
    expect(Object.keys(templates).sort()).toEqual(Object.keys(TEMPLATE_FILES).sort());
    for (const text of Object.values(templates)) expect(text.length).toBeGreaterThan(0);
  });

  it('a missing template says dsb is damaged and which file', async () => {
    const read: string[] = [];
    const ctx = {
      readFile: async (file: string) => {
        read.push(file);
        return file.endsWith(TEMPLATE_FILES.bridgeSh) ? undefined : 'x';
      },
    };
    await expect(loadTemplates(ctx, '/t')).rejects.toThrow(
      `dsb is damaged: template ${path.join('/t', TEMPLATE_FILES.bridgeSh)} is missing`,
    );
    expect(read[0]).toBe(path.join('/t', TEMPLATE_FILES.modelfile));
  });

  it('templates/ is at the package root', () => {
    expect(templatesDir()).toBe(path.join(process.cwd(), 'templates') + path.sep);
  });
});
