import v8 from 'node:v8';
v8.setFlagsFromString(process.env.V8RT ?? '--semi-space-growth-factor=1');
await import('./_bridge-stats.mjs');
