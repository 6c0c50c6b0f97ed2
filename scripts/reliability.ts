/**
 * `npm run test:reliability`: runs the fault and bad-input suite (test/reliability), then prints what
 * it measured as a table and the summary line. Exits with the test run's status.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultResult, InputResult, ReliabilityResult } from '../test/reliability/report';

const root = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'qwt-reliability-'));
const report = join(dir, 'report.jsonl');
const jest = spawnSync(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), 'test/reliability', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, RELIABILITY_REPORT: report },
});
const results: ReliabilityResult[] = existsSync(report)
  ? readFileSync(report, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ReliabilityResult)
  : [];
rmSync(dir, { recursive: true, force: true });

const faults = results.filter((result): result is FaultResult => result.kind === 'fault');
const inputs = results.filter((result): result is InputResult => result.kind === 'inputs');
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 140);
const lines = ['', '| area | fault | survived | data lost | what happened |', '| --- | --- | --- | --- | --- |'];
for (const fault of faults) lines.push(`| ${fault.area} | ${cell(fault.fault)} | ${fault.survived ? 'yes' : 'NO'} | ${fault.dataLost ? 'YES' : 'no'} | ${cell(fault.detail)} |`);
lines.push('', '| Function | bad inputs | 2xx | 4xx | 5xx | slowest ms | cache changed |', '| --- | --- | --- | --- | --- | --- | --- |');
for (const input of inputs) lines.push(`| ${input.target} | ${input.tried} | ${input.status2xx} | ${input.status4xx} | ${input.status5xx} | ${input.slowest} | ${input.cacheChanged ? 'YES' : 'no'} |`);
const survived = faults.filter((fault) => fault.survived).length;
const tried = inputs.reduce((sum, input) => sum + input.tried, 0);
const serverErrors = inputs.reduce((sum, input) => sum + input.status5xx, 0);
const dataLost = faults.filter((fault) => fault.dataLost).length + inputs.filter((input) => input.cacheChanged).length;
lines.push('', `${faults.length - survived} of ${faults.length} faults not survived; test run exit status ${jest.status}.`);
lines.push(`reliability: faults ${survived} survived, inputs ${tried} tried, 5xx ${serverErrors}, data lost ${dataLost}`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(jest.status ?? 1);
