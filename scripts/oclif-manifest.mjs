#!/usr/bin/env node
// Writes oclif.manifest.json after `tsc` (part of `npm run build`). Without a manifest, oclif imports
// every command module on every run to learn the command list and flags, so `dsb serve` carried
// doctor's, init's and probe's dependencies (inquirer, listr2, execa, …): ~20 MB of RSS and a slower
// start for every command. With it, a run imports only the command it runs. This is what the
// `oclif manifest` command does, with @oclif/core's own Plugin loader.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Plugin } from '@oclif/core';

const root = path.resolve(import.meta.dirname, '..');
const target = path.join(root, 'oclif.manifest.json');
// A stale manifest must not be read while building the new one.
rmSync(target, { force: true });
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
const ids = Object.keys(plugin.manifest.commands);
if (ids.length === 0) {
  console.error('oclif-manifest: no commands found under dist/commands (did tsc run?)');
  process.exit(1);
}
writeFileSync(target, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`oclif.manifest.json: ${ids.length} commands (${ids.sort().join(', ')})`);
