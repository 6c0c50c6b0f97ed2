// Builds what Twilio Functions deploy: each function bundled with the shared core into one file (a
// deployed function runs from its own location, so it cannot reach ../src), and the assets copied.
// Plain JavaScript so that it runs before anything is compiled.
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
// Installed on Twilio from package.json's dependencies; everything else is bundled.
const external = ['twilio', '@upstash/redis', '@twilio-labs/serverless-runtime-types'];

rmSync(dist, { recursive: true, force: true });
const entryPoints = readdirSync(join(root, 'functions'))
  .filter((file) => file.endsWith('.ts') && file !== 'env.ts')
  .map((file) => join(root, 'functions', file));

await build({
  entryPoints,
  outdir: join(dist, 'functions'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external,
  logLevel: 'warning',
});

mkdirSync(join(dist, 'assets'), { recursive: true });
for (const file of readdirSync(join(root, 'assets'))) {
  // twilio-run uploads every file in the assets folder: no sources or maps may land there.
  if (/\.(ts|map)$/.test(file)) continue;
  cpSync(join(root, 'assets', file), join(dist, 'assets', file), { recursive: true });
}
console.log(`built ${entryPoints.length} functions and the assets into dist/`);
