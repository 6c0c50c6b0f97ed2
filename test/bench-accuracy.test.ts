/**
 * `npm run bench:accuracy` as a user runs it: the default's parameters given on the command line, one
 * set of scenarios alone, and the command lines it refuses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listScenarios } from '../dev/simulation/scenario';
import { runCommand } from './helpers';

const accuracy = (args: string[]) => runCommand('bench/accuracy.ts', args);

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'bench-accuracy-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm run bench:accuracy', () => {
  it('scores with the parameters given, and says they were given', async () => {
    const result = await accuracy(['--scenario', 'mms', '--min-callers', '200', '--max-callers', '400', '--parameters', '{"headOfLineWeight":0.9}', '--out', scratch]);
    expect(result.code).toBe(0);
    const written = readFileSync(join(scratch, 'accuracy.md'), 'utf8');
    expect(written).toContain('"headOfLineWeight":0.9,');
    expect(written).toContain('given with --parameters');
  }, 120_000);

  it('scores only the tuning scenarios with --set tuning: no validation scenario in the file or the last line', async () => {
    const out = join(scratch, 'tuning');
    const result = await accuracy(['--set', 'tuning', '--min-callers', '1', '--max-callers', '200', '--out', out]);
    expect(result.code).toBe(0);
    const written = readFileSync(join(out, 'accuracy.md'), 'utf8');
    expect(written).toContain('### Tuning scenarios');
    expect(written).not.toContain('Validation scenarios');
    expect(written).not.toContain('| trickle |');
    expect(written).toContain('| low-volume |');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`\\(${listScenarios('tuning').length} scenarios, \\d+ callers\\)$`));
  }, 300_000);

  it('refuses --tune with --parameters, parameters and scenarios it does not know, before simulating anything', async () => {
    for (const [args, message] of [
      [['--tune', '--parameters', '{}'], '--tune and --parameters are two ways to choose the parameters: give one'],
      [['--parameters', '{"ownWaitWeight":-0.1}'], '--parameters: ownWaitWeight must be a number from 0 to 1'],
      [['--parameters', 'null'], '--parameters must be a JSON object'],
      [['--set', 'training'], "--set must be tuning or validation, not 'training'"],
      [['--set', 'tuning', '--scenario', 'mms'], '--set and --scenario are two ways to choose the scenarios: give one'],
      [['--tune', '--set', 'validation'], '--tune needs the tuning scenarios'],
      [['--tune', '--scenario', 'trickle'], '--tune needs the tuning scenarios'],
      // A misspelt scenario after a good one: refused before the good one is simulated, the known ones listed.
      [['--scenario', 'mms', '--scenario', 'nope'], 'No scenario nope: '],
    ] as const) {
      const refused = await accuracy([...args]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain(message);
      expect(refused.stderr).not.toMatch(/replication\(s\)|    at /);
    }
  }, 60_000);
});
