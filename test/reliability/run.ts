/**
 * `npm run test:reliability`: runs the fault and bad-input suite (test/reliability), then prints what
 * it measured as a table and the summary line. Exits with the test run's status.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultResult, InputResult, ReliabilityResult } from './report';

const USAGE = `Usage: npm run test:reliability [-- <jest options>]

Runs the fault and bad-input suite (test/reliability) and prints what it measured: a table of faults
(each distinct fault once, with how many checks it took), a table of bad inputs per Function (tried and
distinct), and the summary line
  reliability: faults <distinct> survived of <distinct>, inputs <distinct> distinct of <tried> tried, 5xx <n>, data lost <n> of <measured> measured
Environment: BAD_INPUT_RUNS (generated requests per Function: 6500 here, enough for at least 5,000
distinct ones each; npm test runs 1500), BAD_INPUT_SEED (replay a failure fast-check reported),
RELIABILITY_OUT (a directory to write reliability.md into).
Exit status: the test run's.`;

if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'qwt-reliability-'));
const report = join(dir, 'report.jsonl');
const jest = spawnSync(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), 'test/reliability', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { BAD_INPUT_RUNS: '6500', ...process.env, RELIABILITY_REPORT: report },
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
// A fault checked on several endpoints is one fault: counted once, survived only if every check was.
const byFault = new Map<string, FaultResult[]>();
for (const fault of faults) byFault.set(`${fault.area}\n${fault.fault}`, [...(byFault.get(`${fault.area}\n${fault.fault}`) ?? []), fault]);
const lines = ['', '| area | fault | checks | survived | data lost | what happened |', '| --- | --- | --- | --- | --- | --- |'];
for (const checks of byFault.values()) {
  const [first] = checks;
  lines.push(`| ${first!.area} | ${cell(first!.fault)} | ${checks.length} | ${checks.every((check) => check.survived) ? 'yes' : 'NO'} | ${checks.every((check) => check.dataLost === null) ? 'n/a' : checks.some((check) => check.dataLost) ? 'YES' : 'no'} | ${cell(checks.map((check) => check.detail).join('; '))} |`);
}
lines.push('', '| Function | bad inputs tried | distinct | 2xx | 4xx | 5xx | slowest ms | cache changed |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const input of inputs) lines.push(`| ${input.target} | ${input.tried} | ${input.distinct} | ${input.status2xx} | ${input.status4xx} | ${input.status5xx} | ${input.slowest} | ${input.cacheChanged ? 'YES' : 'no'} |`);
const distinctFaults = [...byFault.values()];
const survived = distinctFaults.filter((checks) => checks.every((check) => check.survived)).length;
const tried = inputs.reduce((sum, input) => sum + input.tried, 0);
const distinctInputs = inputs.reduce((sum, input) => sum + input.distinct, 0);
const serverErrors = inputs.reduce((sum, input) => sum + input.status5xx, 0);
// Loss counts only where it was measured: faults that touch the cache (compared before and after) and the bad inputs (cache compared byte for byte).
const measuredFaults = distinctFaults.filter((checks) => checks.some((check) => check.dataLost !== null));
const dataLost = measuredFaults.filter((checks) => checks.some((check) => check.dataLost === true)).length + inputs.filter((input) => input.cacheChanged).length;
const measured = measuredFaults.length + inputs.length;
lines.push('', `${distinctFaults.length - survived} of ${distinctFaults.length} distinct faults not survived (${faults.length} checks); test run exit status ${jest.status}.`);
lines.push(`reliability: faults ${survived} survived of ${distinctFaults.length}, inputs ${distinctInputs} distinct of ${tried} tried, 5xx ${serverErrors}, data lost ${dataLost} of ${measured} measured`);
process.stdout.write(`${lines.join('\n')}\n`);
// RELIABILITY_OUT=bench/results keeps the tables and the summary line as a file (the README's source).
const out = process.env['RELIABILITY_OUT'];
if (out) writeFileSync(join(out, 'reliability.md'), `Written by \`npm run test:reliability\`.\n${lines.join('\n')}\n`);
process.exit(jest.status ?? 1);
