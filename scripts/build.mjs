// Builds what ships:
// - the Functions for Twilio: each bundled with the shared core into one file (a deployed function runs
//   from its own location, so it cannot reach ../src), and the assets copied;
// - the refresher and the status command as plain JavaScript (dist/refresh-queue-times.js,
//   dist/status.js) that run with `node` when only the production dependencies are installed.
// `--refresher` builds only the latter (what the GitHub workflow needs); `--if-stale` (npm start)
// skips the build when dist/ is newer than every source. Plain JavaScript so that it runs before
// anything is compiled; esbuild is its only requirement.
// The build is staged beside dist/ and moved in file by file (each rename atomic), so a `twilio-run`
// serving dist/ while another build runs (the deploy rehearsal builds during `npm test`) never finds a
// file missing or half written.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

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

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir) {
  const files = [];
  const visit = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) visit(join(path, entry.name));
      else files.push(relative(dir, join(path, entry.name)));
    }
  };
  if (existsSync(dir)) visit(dir);
  return files;
}

/** Moves the staged build into dist/; a full build also removes what it no longer produces. */
function install(staging, prune) {
  const built = new Set(filesUnder(staging));
  for (const file of built) {
    mkdirSync(join(dist, file, '..'), { recursive: true });
    renameSync(join(staging, file), join(dist, file));
  }
  // functions.env is written after the build (scripts/functions-env.ts), from .env.
  if (prune) for (const file of filesUnder(dist)) if (!built.has(file) && file !== '.built' && file !== 'functions.env') rmSync(join(dist, file));
}

const staging = join(root, `.dist-staging-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
try {
  await build({ ...common, entryPoints: ['refresh-queue-times', 'status'].map((name) => join(root, 'scripts', `${name}.ts`)), outdir: staging });
  if (refresherOnly) {
    install(staging, false);
    console.log('built dist/refresh-queue-times.js and dist/status.js');
  } else {
    const entryPoints = readdirSync(join(root, 'functions'))
      .filter((file) => file.endsWith('.ts') && file !== 'env.ts')
      .map((file) => join(root, 'functions', file));
    await build({ ...common, entryPoints, outdir: join(staging, 'functions') });
    mkdirSync(join(staging, 'assets'), { recursive: true });
    for (const file of readdirSync(join(root, 'assets'))) {
      // twilio-run uploads every file in the assets folder: no sources or maps may land there.
      if (/\.(ts|map)$/.test(file)) continue;
      cpSync(join(root, 'assets', file), join(staging, 'assets', file), { recursive: true });
    }
    install(staging, true);
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
    console.log(`built ${entryPoints.length} functions, the assets, dist/refresh-queue-times.js and dist/status.js`);
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
