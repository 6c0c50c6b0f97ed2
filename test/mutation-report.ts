/**
 * Writes bench/results/mutation.md from Stryker's JSON reports in reports/mutation/ (mutation.json from
 * `npm run test:mutation`, mutation-cache.json from `npm run test:mutation:cache`, and any partial rerun;
 * a newer report replaces an older one's results for the files it covers): per file the mutants, killed
 * (timeouts count as killed), survived, not covered, the score, and the score without the survivors judged
 * equivalent; then every survivor, with the reason it was judged equivalent when
 * test/mutation-equivalent.json says so, else "not judged".
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

const root = join(__dirname, '..');
const reportDir = join(root, 'reports', 'mutation');
const reports = existsSync(reportDir)
  ? readdirSync(reportDir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => join(reportDir, name))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
  : [];
if (reports.length === 0) {
  process.stderr.write('no Stryker report in reports/mutation/: run npm run test:mutation first\n');
  process.exit(2);
}
/** "file:line:mutator" → why the survivor changes nothing a caller can see. */
const equivalentFile = join(__dirname, 'mutation-equivalent.json');
const equivalent = existsSync(equivalentFile) ? (JSON.parse(readFileSync(equivalentFile, 'utf8')) as Record<string, string>) : {};

const files = new Map<string, Mutant[]>();
for (const file of reports) for (const [name, { mutants }] of Object.entries((JSON.parse(readFileSync(file, 'utf8')) as Report).files)) files.set(name.replace(`${root}/`, ''), mutants);

const killedStatuses = new Set(['Killed', 'Timeout']);
const rows = ['| file | mutants | killed | survived | no coverage | score | judged equivalent | score without them |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
const survivors: string[] = [];
let total = 0;
let killedTotal = 0;
let judgedTotal = 0;
const percent = (part: number, whole: number) => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`);
for (const [name, mutants] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
  const valid = mutants.filter((mutant) => !['CompileError', 'RuntimeError', 'Ignored'].includes(mutant.status));
  const killed = valid.filter((mutant) => killedStatuses.has(mutant.status)).length;
  const survived = valid.filter((mutant) => mutant.status === 'Survived');
  const uncovered = valid.filter((mutant) => mutant.status === 'NoCoverage').length;
  const keyOf = (mutant: Mutant) => `${name}:${mutant.location.start.line}:${mutant.mutatorName}`;
  const judged = survived.filter((mutant) => equivalent[keyOf(mutant)] !== undefined).length;
  total += valid.length;
  killedTotal += killed;
  judgedTotal += judged;
  rows.push(`| ${name} | ${valid.length} | ${killed} | ${survived.length} | ${uncovered} | ${percent(killed, valid.length)} | ${judged} | ${percent(killed, valid.length - judged)} |`);
  for (const mutant of [...survived, ...valid.filter((candidate) => candidate.status === 'NoCoverage')]) {
    const key = keyOf(mutant);
    const replacement = (mutant.replacement ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 60);
    survivors.push(`| ${name}:${mutant.location.start.line} | ${mutant.mutatorName} | \`${replacement}\` | ${mutant.status} | ${equivalent[key] ?? 'not judged'} |`);
  }
}
const score = total === 0 ? 0 : (100 * killedTotal) / total;
const cacheRun = reports.some((file) => file.endsWith('mutation-cache.json'));
const markdown = [
  `Written by \`npm run test:mutation\`${cacheRun ? ' and `npm run test:mutation:cache`' : ''} (Stryker, jest runner), from ${reports.map((file) => `\`${file.replace(`${reportDir}/`, '')}\``).join(', ')} (a later report replaces an earlier one for the files it covers). Timeouts count as killed; compile errors are left out.`,
  '',
  ...rows,
  '',
  `Overall: ${killedTotal} of ${total} mutants killed, ${score.toFixed(1)}%; ${judgedTotal} survivors are judged equivalent (below, with the reason), and without them the score is ${percent(killedTotal, total - judgedTotal)}. The goal (85% per file, 90% overall) is checked against the first score.${cacheRun ? '' : ' src/cache/write.ts and src/cache/read.ts were not mutated in this run (npm run test:mutation:cache).'}`,
  '',
  '### Survivors',
  '',
  '| where | mutator | replacement | status | judged equivalent because |',
  '| --- | --- | --- | --- | --- |',
  ...survivors,
  '',
].join('\n');
writeFileSync(join(root, 'bench', 'results', 'mutation.md'), markdown);
process.stdout.write(`mutation: ${score.toFixed(1)}% of ${total} mutants killed; wrote bench/results/mutation.md\n`);
