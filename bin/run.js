#!/usr/bin/env node
// Production entry: runs the compiled commands in dist/ (built by `npm run build`, or by `prepare`
// when installed from git). First, on a Node older than 22, it re-runs itself with the Node 24 in
// the package's node_modules, or says what to install (bin/node-runtime.js). Then `dsb serve`
// replaces this process with itself plus a young-generation cap (see src/system/serve-process.ts);
// nothing else is loaded before that.
import { fileURLToPath } from 'node:url';
import { ensureNodeRuntime } from './node-runtime.js';

await ensureNodeRuntime(fileURLToPath(new URL('..', import.meta.url)));
const { execServeProcessIfNeeded } = await import('../dist/system/serve-process.js');
execServeProcessIfNeeded();
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
