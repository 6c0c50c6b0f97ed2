// Builds what ships:
// - the Functions for Twilio: each bundled with the shared core into one file (a deployed function runs
//   from its own location, so it cannot reach ../src), and the assets copied;
// - the refresher and the status command as plain JavaScript (dist/refresh-queue-times.js,
//   dist/status.js) that run with `node` when only the production dependencies are installed.
// `--refresher` builds only the latter (what the GitHub workflow needs); `--if-stale` (npm start)
// skips the build when dist/ is newer than every source. Plain JavaScript so that it runs before
// anything is compiled; esbuild is its only requirement.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const refresherOnly = process.argv.includes('--refresher');
const stamp = join(dist, '.built');

/** The newest modification time among the sources a build reads. */
function newestSource() {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const name of ['src', 'functions', 'scripts', 'assets', 'package.json', 'package-lock.json']) if (existsSync(join(root, name))) visit(join(root, name));
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) {
  console.log('dist/ is newer than every source: skipping the build');
  process.exit(0);
}
if (!refresherOnly) console.log('building the Functions, the refresher and the status command into dist/ (esbuild)…');
// Installed from package.json's dependencies (on Twilio, and by `npm ci --omit=dev`); the rest is bundled.
const external = ['twilio', '@upstash/redis', '@upstash/qstash', '@twilio-labs/serverless-runtime-types'];
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external, logLevel: 'warning' };

rmSync(dist, { recursive: true, force: true });
await build({ ...common, entryPoints: ['refresh-queue-times', 'status'].map((name) => join(root, 'scripts', `${name}.ts`)), outdir: dist });
if (refresherOnly) {
  console.log('built dist/refresh-queue-times.js and dist/status.js');
} else {
  const entryPoints = readdirSync(join(root, 'functions'))
    .filter((file) => file.endsWith('.ts') && file !== 'env.ts')
    .map((file) => join(root, 'functions', file));
  await build({ ...common, entryPoints, outdir: join(dist, 'functions') });
  mkdirSync(join(dist, 'assets'), { recursive: true });
  for (const file of readdirSync(join(root, 'assets'))) {
    // twilio-run uploads every file in the assets folder: no sources or maps may land there.
    if (/\.(ts|map)$/.test(file)) continue;
    cpSync(join(root, 'assets', file), join(dist, 'assets', file), { recursive: true });
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  console.log(`built ${entryPoints.length} functions, the assets, dist/refresh-queue-times.js and dist/status.js`);
}
