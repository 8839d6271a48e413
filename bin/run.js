#!/usr/bin/env node
// Production entry: runs the compiled commands in dist/ (built by `npm run build`).
// `dsb serve` first replaces this process with itself plus a young-generation cap (see
// src/system/serve-process.ts); nothing else is loaded before that.
import { execServeProcessIfNeeded } from '../dist/system/serve-process.js';

execServeProcessIfNeeded();
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
