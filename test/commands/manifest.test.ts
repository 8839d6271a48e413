// oclif.manifest.json (written by `npm run build`): oclif reads the command list and flags from it
// instead of importing every command on every run. A manifest that disagrees with the built
// commands would hide a command or show stale flags in --help, so it is checked against them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const manifestPath = path.join(root, 'oclif.manifest.json');
const commandsDir = path.join(root, 'dist', 'commands');

interface ManifestCommand {
  flags: Record<string, { name: string; char?: string }>;
  args: Record<string, unknown>;
}

describe('oclif.manifest.json', () => {
  it('lists every built command, with the flags and args its class declares', async () => {
    expect(existsSync(manifestPath), 'run `npm run build`: it writes oclif.manifest.json').toBe(true);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      version: string;
      commands: Record<string, ManifestCommand>;
    };
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    // oclif ignores a manifest whose version differs from the package's.
    expect(manifest.version).toBe(pkg.version);

    const files = readdirSync(commandsDir).filter((f) => f.endsWith('.js'));
    const ids = files.map((f) => f.replace(/\.js$/, '')).sort();
    expect(Object.keys(manifest.commands).sort()).toEqual(ids);

    for (const file of files) {
      const id = file.replace(/\.js$/, '');
      const mod = (await import(pathToFileURL(path.join(commandsDir, file)).href)) as {
        default: { flags?: Record<string, { char?: string }>; args?: Record<string, unknown> };
      };
      const entry = manifest.commands[id]!;
      const declared = Object.keys(mod.default.flags ?? {});
      // oclif adds its own global flags (--json when enableJsonFlag is set) to the manifest.
      for (const name of declared) {
        expect(entry.flags[name], `${id} --${name}`).toBeDefined();
        expect(entry.flags[name]?.char, `${id} --${name} short form`).toBe(mod.default.flags?.[name]?.char);
      }
      expect(Object.keys(entry.args).sort(), `${id} args`).toEqual(
        Object.keys(mod.default.args ?? {}).sort(),
      );
    }
  });
});
