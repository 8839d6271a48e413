#!/usr/bin/env -S node --import tsx --no-warnings
// Development entry: runs the TypeScript sources directly through tsx, no build step.
import { fileURLToPath } from 'node:url';
import { execute, Plugin } from '@oclif/core';

// The sources may have moved on since `npm run build` wrote oclif.manifest.json: read the commands
// from src/ instead of the manifest (a new command or flag works here before any build).
process.env.NODE_ENV = 'development';
const root = fileURLToPath(new URL('..', import.meta.url));
const plugin = new Plugin({ root, isRoot: true, type: 'core', ignoreManifest: true });
await plugin.load();
await execute({ development: true, loadOptions: { root, plugins: [plugin] } });
