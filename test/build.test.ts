/** What `npm run build` produces is what Twilio deploys: each function must stand alone. */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const dist = join(root, 'dist');

describe('build output', () => {
  const functions = readdirSync(join(dist, 'functions'));

  it('has the four functions, the protected ones with the .protected suffix (QStash cannot sign as Twilio: refresh-queue-times checks its own signature)', () => {
    expect(functions.sort()).toEqual(['get-queue-times.js', 'hold-music.protected.js', 'lookup-queue-sid.protected.js', 'refresh-queue-times.js']);
  });

  it('puts no sources or source maps among the assets (twilio-run uploads every file there)', () => {
    const assets = readdirSync(join(dist, 'assets'));
    expect(assets).toContain('workflow-config.private.json');
    expect(assets.filter((file) => /\.(ts|map)$/.test(file))).toEqual([]);
  });

  it.each(['get-queue-times.js', 'hold-music.protected.js', 'lookup-queue-sid.protected.js', 'refresh-queue-times.js'])('loads %s alone, with nothing beside it but node_modules', (file) => {
    const dir = mkdtempSync(join(tmpdir(), 'qwt-fn-'));
    try {
      copyFileSync(join(dist, 'functions', file), join(dir, file));
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
      // A fresh node process: no jest module registry, no ts-node, just require().
      const type = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(join(dir, file))}).handler)`], { cwd: dir, encoding: 'utf8' });
      expect(type).toBe('function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
