// Summarises a V8 .cpuprofile (written by `node --cpu-prof`, e.g. `npm run bench -- --cpu-prof`):
// the functions with the most self time, and self time per source file, so a profiling round shows
// at a glance what dominates. Usage: node bench/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // timeDeltas[i] is the time before samples[i]: attribute it to that sample's node.
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const fns = new Map();
  const files = new Map();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const file = callFrame.url
      ? callFrame.url.replace(/^file:\/\//, '')
      : `(${callFrame.functionName || 'native'})`;
    const short = file.includes('node_modules')
      ? file.slice(file.lastIndexOf('node_modules'))
      : file.startsWith('/')
        ? path.relative(process.cwd(), file)
        : file;
    const key = `${callFrame.functionName || '(anonymous)'}  ${short}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    files.set(short, (files.get(short) ?? 0) + us);
  }
  const rank = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / total }));
  return { totalMs: total / 1000, functions: rank(fns), files: rank(files) };
}

export function formatSummary(summary) {
  const line = (r) => `${r.percent.toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`;
  return [
    `profile: ${summary.totalMs.toFixed(0)} ms sampled`,
    'self time by function:',
    ...summary.functions.map(line),
    'self time by file:',
    ...summary.files.map(line),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(
    formatSummary(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(process.argv[3] ?? 25))),
  );
}
