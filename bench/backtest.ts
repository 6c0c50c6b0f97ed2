/**
 * Backtest on real call histories: each file is replayed as the statistics TaskRouter would have
 * reported, read every 30, 120 and 300 s through the refresher's own estimation path, and what every
 * caller would have heard is scored against the wait they had (bench/backtest/).
 *
 * `npm run backtest -- --help`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readEventsExport } from '../dev/replay/events';
import { readCallHistory, SourceError } from '../dev/replay/sources';
import { DEFAULT_LOGIN_GAP_MINUTES, type SourceReport, type Timeline } from '../dev/replay/timeline';
import { DEFAULT_PARAMETERS, ESTIMATOR_NAMES, PROMISE_LIMIT_SECONDS, type EstimatorParameters } from '../src/estimator';
import { heardCallers } from './backtest/heard';
import { backtestGoals, GOALS } from './backtest/goals';
import { AVAILABLE_CAP, HINDSIGHT_FACTS, hindsightByFound, hindsightByQueue, hindsightOfEveryone, WAIT_BAND_EDGES, type Hindsight, type HindsightFacts, type RoomByFound } from './backtest/hindsight';
import { everyone, headline, MIN_QUEUE_CALLERS, ratioText, scoreByFound, scoreByFoundAndPriority, scoreByQueue, squaredErrorShares, worstQueue, type GroupScore } from './backtest/score';
import { benchArguments, parametersOption, positiveIntegerOption, usageError } from './cli';

const COMMITTED_MONTHS = ['bench/data/january.txt.gz', 'bench/data/february.txt.gz'];

const USAGE = `Usage: npm run backtest -- [--calls FILE [FILE…]] [--events FILE [FILE…]] [options]

Replays each call history as the statistics TaskRouter would have reported, through the refresher's
own estimation path, and scores what every caller would have heard against the wait they had.

Sources (gzipped or not; CRLF or LF):
  --calls FILE [FILE…]       call logs: the published Anonymous Bank format (tab-separated, its header
                             row), or a task CSV (docs/accuracy.md, "Backtest your own center")
                             default: ${COMMITTED_MONTHS.join(' ')}
  --events FILE [FILE…]      a workspace's own history, from npm run export:events (Activities as
                             recorded; the first window is warm-up)

Options:
  --login-gap-minutes <n>    the login rule: services at most this far apart are one logged-in
                             stretch (default ${DEFAULT_LOGIN_GAP_MINUTES}; the report also gives two other values)
  --window-minutes <m>       statistics window (default 15)
  --parameters <json>        the default's parameters, e.g. '{"ownWaitWeight":0.6}' (unnamed ones
                             keep their defaults, ${JSON.stringify(DEFAULT_PARAMETERS)}); choose them on
                             January, never on February
  --out <dir>                where backtest.md goes (default bench/results)
  --help                     this text

Prints one line per file, in argument order, at the 30 s cadence:
  backtest <file>: default/original RMSE = X (worst queue NAME Y), phrase true A% (original B%), range
  coverage C%, "less than a minute" broken D% (N callers, Q queues)
Exits 2 when a file cannot be read, is in no supported format, or is an export cut short (nothing is
written), or when a file gives no caller to score (the report is written, saying why).`;

/** The refresher's cadences: a looping refresher, the GitHub Action or cron, and QStash's slowest. */
const CADENCES = [30, 120, 300];
const HEADLINE_CADENCE = 30;

interface Source {
  kind: 'calls' | 'events';
  path: string;
}

interface FileResult {
  file: string;
  kind: Source['kind'];
  report: SourceReport;
  timeline: Timeline;
  /** Events exports: the share of (queue, worker) eligibilities read from target_workers. */
  eligibilityResolved: number | null;
  /** Scores at each cadence, with the chosen login rule. */
  byCadence: Map<number, GroupScore[]>;
  /** Scores at the headline cadence with the other login gaps (call logs only). */
  byLoginGap: Map<number, GroupScore[]>;
  /** Scores at each cadence by what callers found their queue like (heard.ts `FOUND`). */
  byFound: Map<number, GroupScore[]>;
  /** The same for each priority the callers had (score.ts `scoreByFoundAndPriority`); empty when they all had one. */
  byFoundAndPriority: GroupScore[];
  /** The bound on phrase truth with the promise kept and the least RMSE ratio, per family of facts: each queue's and everyone's at the headline cadence, everyone's alone at the others (their tables use no other row). */
  hindsight: Map<number, Record<HindsightFacts, Hindsight>[]>;
  /** At each cadence, over everyone: the RMSE ratio had only one state's callers been told their cell's mean. */
  roomByFound: Map<number, RoomByFound[]>;
  seconds: number;
}

const ratioWithInterval = ({ ratio }: GroupScore) => `${ratioText(ratio.value)} (${ratioText(ratio.low)}–${ratioText(ratio.high)})`;
const pct = (value: number) => (Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : '–');
const secs = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');

function backtestFile(source: Source, loginGap: number, windowMinutes: number, parameters: EstimatorParameters): FileResult {
  const started = Date.now();
  const name = basename(source.path);
  const exported = source.kind === 'events' ? readEventsExport(source.path) : null;
  const { timeline, report } = exported ?? readCallHistory(source.path, loginGap);
  const ids = exported ? { workspaceSid: exported.workspaceSid, queueSids: exported.queueSids } : {};
  for (const skipped of report.skipped) process.stderr.write(`${name}: skipped ${skipped.count} row(s), ${skipped.reason}: line${skipped.count > 1 ? 's' : ''} ${skipped.firstLines.join(', ')}${skipped.count > skipped.firstLines.length ? ', …' : ''}\n`);
  const byCadence = new Map<number, GroupScore[]>();
  const byFound = new Map<number, GroupScore[]>();
  let byFoundAndPriority: GroupScore[] = [];
  const hindsight = new Map<number, Record<HindsightFacts, Hindsight>[]>();
  const roomByFound = new Map<number, RoomByFound[]>();
  for (const refreshSeconds of CADENCES) {
    const heard = heardCallers(timeline, { refreshSeconds, windowMinutes, name, parameters, ...ids });
    byCadence.set(refreshSeconds, scoreByQueue(heard));
    byFound.set(refreshSeconds, scoreByFound(heard));
    hindsight.set(refreshSeconds, refreshSeconds === HEADLINE_CADENCE ? hindsightByQueue(heard) : [hindsightOfEveryone(heard)]);
    roomByFound.set(refreshSeconds, hindsightByFound(heard));
    if (refreshSeconds === HEADLINE_CADENCE && new Set(heard.map((caller) => caller.priority)).size > 1) byFoundAndPriority = scoreByFoundAndPriority(heard);
  }
  const byLoginGap = new Map<number, GroupScore[]>();
  if (!exported) {
    // The login rule only rebuilds what a call log lacks; an export records Activities.
    byLoginGap.set(loginGap, byCadence.get(HEADLINE_CADENCE)!);
    for (const gap of [loginGap / 2, loginGap * 2]) byLoginGap.set(gap, scoreByQueue(heardCallers(readCallHistory(source.path, gap).timeline, { refreshSeconds: HEADLINE_CADENCE, windowMinutes, name, parameters })));
  }
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`${name}: ${report.tasks} tasks, ${timeline.workers.length} agents, ${CADENCES.length} cadences${exported ? '' : ` and ${byLoginGap.size - 1} other login gaps`} in ${seconds.toFixed(1)} s\n`);
  return { file: name, kind: source.kind, report, timeline, eligibilityResolved: exported?.eligibilityResolved ?? null, byCadence, byLoginGap, byFound, byFoundAndPriority, hindsight, roomByFound, seconds };
}

function sourceSection(result: FileResult, loginGap: number): string[] {
  const { report, timeline } = result;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const who =
    result.eligibilityResolved === null
      ? `Login rule: logged in over stretches of services at most ${loginGap} minutes apart; eligible for every queue served in the file.`
      : `Activities as recorded; eligibility read from target_workers for ${pct(result.eligibilityResolved)} of (queue, worker) pairs, the rest from the queues each worker took tasks of.`;
  const lines = [`${report.format}, ${report.rows} ${result.kind === 'events' ? 'events' : 'rows'}: ${report.tasks} tasks in ${timeline.queues.length} queues (${timeline.queues.join(', ')}) on ${timeline.channels.join(', ')}, ${timeline.workers.length} agents, ${day(timeline.startMs)} to ${day(timeline.endMs)}. ${who}`];
  for (const [what, count] of Object.entries(report.notes)) lines.push(`- not scored as a task or completed by assumption: ${what}: ${count}`);
  for (const skipped of report.skipped) lines.push(`- skipped, ${skipped.reason}: ${skipped.count} (first lines ${skipped.firstLines.join(', ')})`);
  if (report.skipped.length === 0) lines.push('- no bad rows');
  return lines;
}

function mainTable(scores: GroupScore[]): string[] {
  const lines = [
    '| queue | callers scored | abandoned | mean wait s | default/original RMSE (95% CI, days) | RMSE s default / original | MAE s default / original | bias s default / original | phrase true default / original | range coverage | "less than a minute" broken default / original (told) | waited < 60 s and told "less than a minute" default / original | wrong phrase, waited longer default / original | no number default / original |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const score of scores) {
    const d = score.estimators.default;
    const o = score.estimators.original;
    const marker = score.group !== 'all' && score.scored < MIN_QUEUE_CALLERS ? ' (small)' : '';
    lines.push(
      `| ${score.group === 'all' ? '**all**' : score.group}${marker} | ${score.scored} | ${score.abandoned} | ${secs(score.meanWait)} | ${ratioWithInterval(score)} | ${secs(d.rmse)} / ${secs(o.rmse)} | ${secs(d.mae)} / ${secs(o.mae)} | ${secs(d.bias)} / ${secs(o.bias)} | ${pct(d.phraseTrue)} / ${pct(o.phraseTrue)} | ${pct(score.coverage)} | ${pct(d.underMinuteBroken)} (${d.toldUnderMinute}) / ${pct(o.underMinuteBroken)} (${o.toldUnderMinute}) | ${pct(d.underMinuteWhenQuick)} / ${pct(o.underMinuteWhenQuick)} | ${pct(d.wrongAndLonger)} / ${pct(o.wrongAndLonger)} | ${pct(d.noNumber)} / ${pct(o.noNumber)} |`,
    );
  }
  return lines;
}

function everyEstimatorTable(scores: GroupScore[]): string[] {
  const lines = ['| queue | estimator | RMSE s | MAE s | bias s | phrase true | "less than a minute" broken (told) | no number |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const score of scores) {
    for (const name of ESTIMATOR_NAMES) {
      const s = score.estimators[name];
      lines.push(`| ${score.group} | ${name} | ${secs(s.rmse)} | ${secs(s.mae)} | ${secs(s.bias)} | ${pct(s.phraseTrue)} | ${pct(s.underMinuteBroken)} (${s.toldUnderMinute}) | ${pct(s.noNumber)} |`);
    }
  }
  return lines;
}

/** Where the default's error and broken promises come from: one row per state callers found their queue in. */
function foundTable(scores: GroupScore[]): string[] {
  const lines = [
    '| what the caller\'s queue looked like | callers scored | mean wait s | answered at once | RMSE s default / original | MAE s default / original | bias s default / original | share of the squared error default / original | phrase true default / original | "less than a minute" broken default / original (told) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const shares = { default: squaredErrorShares(scores, 'default'), original: squaredErrorShares(scores, 'original') };
  scores.forEach((score, index) => {
    const d = score.estimators.default;
    const o = score.estimators.original;
    lines.push(
      `| ${score.group === 'all' ? '**all**' : score.group} | ${score.scored} | ${secs(score.meanWait)} | ${pct(score.answeredAtOnce)} | ${secs(d.rmse)} / ${secs(o.rmse)} | ${secs(d.mae)} / ${secs(o.mae)} | ${secs(d.bias)} / ${secs(o.bias)} | ${pct(shares.default[index]!)} / ${pct(shares.original[index]!)} | ${pct(d.phraseTrue)} / ${pct(o.phraseTrue)} | ${pct(d.underMinuteBroken)} (${d.toldUnderMinute}) / ${pct(o.underMinuteBroken)} (${o.toldUnderMinute}) |`,
    );
  });
  return lines;
}

/** The estimator issue's goals at the headline cadence: what was measured and what is missed, by how much. */
function goalsTable(byCadence: Map<number, GroupScore[]>): string[] {
  const others = new Map([...byCadence].filter(([cadence]) => cadence !== HEADLINE_CADENCE));
  const lines = ['| goal | measured (default / original where compared) | missed, by how much |', '| --- | --- | --- |'];
  for (const verdict of backtestGoals(byCadence.get(HEADLINE_CADENCE)!, others)) lines.push(`| ${verdict.goal} | ${verdict.measured} | ${verdict.misses.length === 0 ? 'met' : `**${verdict.misses.join('; ')}**`} |`);
  return lines;
}

/** Each family of facts' column in the hindsight tables, after "facts of the reading". */
const FAMILY_COLUMN: Record<HindsightFacts, string> = { reading: 'facts of the reading', 'reading and default': "… and the default's estimate", 'reading, default and priority': "… and the caller's priority" };

/** One header per family of facts, the first led by what the columns hold (`lead`), each followed by `suffix`. */
const familyColumns = (lead: string, suffix = '') => HINDSIGHT_FACTS.map((facts) => `${facts === 'reading' ? lead : ''}${FAMILY_COLUMN[facts]}${suffix}`);

/** The hindsight bound per queue (the promise goal's per-queue limit) and over everyone (its overall limit), beside what the default and the original did. */
function hindsightTable(bounds: Record<HindsightFacts, Hindsight>[], scores: GroupScore[]): string[] {
  const families = familyColumns('phrase true in hindsight: ', ' (cells)');
  const lines = [
    `| queue | callers scored | "less than a minute" broken at most | ${families.join(' | ')} | phrase true default / original | "less than a minute" broken default / original |`,
    `|${' --- |'.repeat(5 + families.length)}`,
  ];
  for (const bound of bounds) {
    const { reading } = bound;
    const score = scores.find((candidate) => candidate.group === reading.group)!;
    const d = score.estimators.default;
    const o = score.estimators.original;
    const cells = HINDSIGHT_FACTS.map((facts) => `${pct(bound[facts].phraseTrue)} (${bound[facts].cells})`);
    lines.push(`| ${hindsightLabel(reading)} | ${reading.scored} | ${pct(reading.limit)} | ${cells.join(' | ')} | ${pct(d.phraseTrue)} / ${pct(o.phraseTrue)} | ${pct(d.underMinuteBroken)} / ${pct(o.underMinuteBroken)} |`);
  }
  return lines;
}

const hindsightLabel = ({ group, scored }: Hindsight) => (group === 'all' ? '**all**' : `${group}${scored < MIN_QUEUE_CALLERS ? ' (small)' : ''}`);

/** The least default/original RMSE of one number per cell, per queue and over everyone, beside the default's. */
function hindsightErrorTable(bounds: Record<HindsightFacts, Hindsight>[], scores: GroupScore[]): string[] {
  const families = familyColumns('default/original RMSE in hindsight: ');
  const lines = [`| queue | callers scored | ${families.join(' | ')} | the default\'s |`, `|${' --- |'.repeat(3 + families.length)}`];
  for (const bound of bounds) {
    const { reading } = bound;
    const score = scores.find((candidate) => candidate.group === reading.group)!;
    lines.push(`| ${hindsightLabel(reading)} | ${reading.scored} | ${HINDSIGHT_FACTS.map((facts) => ratioText(bound[facts].rmseRatio)).join(' | ')} | ${ratioText(score.ratio.value)} |`);
  }
  return lines;
}

/** Everyone's row of both hindsight tables, one row per cadence. */
function hindsightByCadenceTable(hindsight: Map<number, Record<HindsightFacts, Hindsight>[]>, byCadence: Map<number, GroupScore[]>): string[] {
  const phraseColumns = familyColumns('phrase true in hindsight: ');
  const errorColumns = familyColumns('default/original RMSE in hindsight: ');
  const lines = [
    `| refresh every | callers scored | ${phraseColumns.join(' | ')} | phrase true default / original | "less than a minute" broken default / original | ${errorColumns.join(' | ')} | the default's |`,
    `|${' --- |'.repeat(5 + phraseColumns.length + errorColumns.length)}`,
  ];
  for (const [cadence, bounds] of hindsight) {
    const all = bounds.find((bound) => bound.reading.group === 'all')!;
    const score = everyone(byCadence.get(cadence)!);
    const d = score.estimators.default;
    const o = score.estimators.original;
    lines.push(
      `| ${cadence} s | ${all.reading.scored} | ${HINDSIGHT_FACTS.map((facts) => pct(all[facts].phraseTrue)).join(' | ')} | ${pct(d.phraseTrue)} / ${pct(o.phraseTrue)} | ${pct(d.underMinuteBroken)} / ${pct(o.underMinuteBroken)} | ${HINDSIGHT_FACTS.map((facts) => ratioText(all[facts].rmseRatio)).join(' | ')} | ${ratioText(score.ratio.value)} |`,
    );
  }
  return lines;
}

/** Over everyone, the RMSE ratio had only one state's callers been told their cell's mean, per family of facts. */
function roomTable(rows: RoomByFound[]): string[] {
  const families = familyColumns('default/original RMSE over all callers, only these in hindsight: ');
  const lines = [`| what the caller's queue looked like | callers scored | ${families.join(' | ')} |`, `|${' --- |'.repeat(2 + families.length)}`];
  for (const { found, scored, rmseRatio } of rows) lines.push(`| ${found} | ${scored} | ${HINDSIGHT_FACTS.map((facts) => ratioText(rmseRatio[facts])).join(' | ')} |`);
  return lines;
}

/** One row of headline figures over all callers, for the cadence and login-rule tables. */
function overallRow(label: string, scores: GroupScore[]): string {
  const all = everyone(scores);
  const d = all.estimators.default;
  const o = all.estimators.original;
  const { worst } = worstQueue(scores);
  return `| ${label} | ${all.scored} | ${ratioWithInterval(all)} | ${worst ? `${worst.group} ${ratioText(worst.ratio.value)}` : '–'} | ${secs(d.bias)} / ${secs(o.bias)} | ${pct(d.phraseTrue)} / ${pct(o.phraseTrue)} | ${pct(all.coverage)} | ${pct(d.underMinuteBroken)} / ${pct(o.underMinuteBroken)} |`;
}

const OVERALL_HEADER = ['| callers scored | default/original RMSE (95% CI) | worst queue (≥ 500 callers) | bias s default / original | phrase true default / original | range coverage | "less than a minute" broken default / original |', '| --- | --- | --- | --- | --- | --- | --- |'];

/**
 * Why a file gave no caller to score at the headline cadence (null when it gave some): too short for
 * the warm-up, or no answered call in any window a caller heard, so the original never had a number.
 */
function unscoredReason(result: FileResult, windowMinutes: number): string | null {
  const all = everyone(result.byCadence.get(HEADLINE_CADENCE)!);
  if (all.scored > 0) return null;
  if (all.answered === 0) return `no caller was answered after its first ${windowMinutes} minutes, the warm-up: give a longer history`;
  return `${all.answered} caller(s) were answered after the warm-up, but none was given a number by both the default and the original (the original needs a call answered in the ${windowMinutes} minutes before): give a longer or busier history`;
}

function markdown(results: FileResult[], loginGap: number, windowMinutes: number, parameters: EstimatorParameters): string {
  const lines = [
    '# Backtest on real call histories',
    '',
    `Written by \`npm run backtest\`. Each file is replayed as the statistics TaskRouter would have reported (dev/replay/), read every 30, 120 and 300 s with a ${windowMinutes}-minute window, each reading turned into a snapshot by the refresher's own \`buildSnapshot\` (history carried as a looping refresher carries it). Every answered caller is scored at the moment they left the voice menu, on the last reading taken before their call appears in the statistics (the default's answer aged by the time since that reading, as get-queue-times ages it), against the wait they had (0 when answered at once). Callers of the first window are warm-up. Only callers to whom both the default and the original gave a number are scored; "no number" is the share of answered callers an estimator gave none. Abandoned callers are out of RMSE, MAE and bias, and in "less than a minute" broken (told it, waited over ${PROMISE_LIMIT_SECONDS} s, hung up after it included). Phrases are the \`approximate\` style: the default's chosen from its model, the others' rounded estimate. "(small)": under ${MIN_QUEUE_CALLERS} scored callers, left out of the worst queue.`,
    '',
    'January is for tuning; February is validation: nothing is fit on it.',
    '',
    `The default's parameters: \`${JSON.stringify(parameters)}\`${JSON.stringify(parameters) === JSON.stringify(DEFAULT_PARAMETERS) ? ' (its defaults)' : ' (given with --parameters; its defaults are `' + JSON.stringify(DEFAULT_PARAMETERS) + '`)'}.`,
    '',
  ];
  for (const result of results) {
    const headlineScores = result.byCadence.get(HEADLINE_CADENCE)!;
    lines.push(`## ${result.file}`, '', ...sourceSection(result, loginGap), '', `\`${headline(result.file, headlineScores)}\``, '');
    const unscored = unscoredReason(result, windowMinutes);
    if (unscored !== null) {
      // Nothing to judge: every table below would be empty or NaN.
      lines.push(`**No caller could be scored at ${HEADLINE_CADENCE} s:** ${unscored}.`, '');
      continue;
    }
    lines.push(
      `### The estimator issue's goals, refresh every ${HEADLINE_CADENCE} s`,
      '',
      `Per queue where a goal is per queue (queues of at least ${MIN_QUEUE_CALLERS} scored callers); the slower cadences' row is over all callers. Not judged from one run: "waited under 60 s and told 'less than a minute': at least the baseline's share" (docs/accuracy.md compares with the default before that issue's work).`,
      '',
      ...goalsTable(result.byCadence),
      '',
    );
    lines.push(`### Every queue, refresh every ${HEADLINE_CADENCE} s`, '', ...mainTable(headlineScores), '');
    lines.push(`### Every estimator, refresh every ${HEADLINE_CADENCE} s`, '', ...everyEstimatorTable(headlineScores), '');
    lines.push(
      `### What callers found, refresh every ${HEADLINE_CADENCE} s`,
      '',
      'Every caller by what their queue looked like in the reading they heard, as the default saw it: a free slot (an agent Available, nobody waiting: told 0), nobody waiting in the queue but no free slot (every agent busy, or callers waiting in the other queues of its pool), or callers waiting in its line. Answered at once: waited 0 s. Shares of the squared error are over all scored callers.',
      '',
      ...foundTable(result.byFound.get(HEADLINE_CADENCE)!),
      '',
    );
    if (result.byFoundAndPriority.length > 0) {
      lines.push(
        `### What callers found, by their priority, refresh every ${HEADLINE_CADENCE} s`,
        '',
        "The same states for each TaskRouter priority the callers had, highest first (the Anonymous Bank log's priority customers are 1, its regular callers 0). Every caller of a queue hears the same estimate, whatever their priority: where callers of one state wait very differently by priority, no estimate of the queue can be right for both.",
        '',
        ...foundTable(result.byFoundAndPriority),
        '',
      );
    }
    lines.push(
      `### In hindsight: phrase truth with the promise kept, refresh every ${HEADLINE_CADENCE} s`,
      '',
      `The most often a rule could have told callers a true phrase while "less than a minute" broke (a wait over ${PROMISE_LIMIT_SECONDS} s) for at most ${pct(GOALS.brokenPerQueue)} of a queue's callers told it, ${pct(GOALS.brokenOverall)} over everyone (the estimator issue's limits), if it gave one phrase to every caller who found the same. The facts of the reading: the queue × what they found (above) × agents Available (0, 1, 2, ${AVAILABLE_CAP} or more) × the queue's own mean wait of the window (the original's estimate: none, under ${WAIT_BAND_EDGES.join(', ')} s, or longer); the second family adds the default's estimate in the same bands (0 apart), the third also the caller's TaskRouter priority. Each knows every wait afterwards. An upper bound (bench/backtest/hindsight.ts), fit on the month it scores: a reference, not an estimator. Where it is under the original's phrase truth, no rule deciding from those facts can keep the promise and be true as often as the original there.`,
      '',
      ...hindsightTable(result.hindsight.get(HEADLINE_CADENCE)!, headlineScores),
      '',
    );
    lines.push(
      `### In hindsight: one number per cell, refresh every ${HEADLINE_CADENCE} s`,
      '',
      `The least default/original RMSE a rule could have had if it told every caller of a cell (the same families of facts) one number: the mean of the cell's waits, known afterwards. Fit on the month it scores: where it is above the estimator issue's goal over all callers (${GOALS.overallRatio.toFixed(2)}), no rule deciding from those facts meets it.`,
      '',
      ...hindsightErrorTable(result.hindsight.get(HEADLINE_CADENCE)!, headlineScores),
      '',
      `Where that room is: over all callers, the default/original RMSE had only the callers of one state (what they found, as above) been told their cell's mean, everyone else what the default told them (${ratioText(everyone(headlineScores).ratio.value)} as told). Each cell holds callers of one state, so the states' shares of the gap between the two add up to it; above the default's ratio, the default already does better there than one number per cell.`,
      '',
      ...roomTable(result.roomByFound.get(HEADLINE_CADENCE)!),
      '',
    );
    lines.push('### Cadence', '', `| refresh every | ${OVERALL_HEADER[0]!.slice(2)}`, `| --- | ${OVERALL_HEADER[1]!.slice(2)}`);
    for (const [cadence, scores] of result.byCadence) lines.push(overallRow(`${cadence} s`, scores));
    lines.push(
      '',
      '### In hindsight, at every cadence',
      '',
      `Over all callers, the two bounds above at each cadence: the most often a rule giving one phrase per cell could have been true with "less than a minute" broken for at most ${pct(GOALS.brokenOverall)} of the callers told it, and the least default/original RMSE of one number per cell. Where the phrase bound is under the original's phrase truth, the original's phrase at that cadence comes with more broken promises than the goal allows.`,
      '',
      ...hindsightByCadenceTable(result.hindsight, result.byCadence),
    );
    for (const [cadence, scores] of result.byFound) {
      if (cadence === HEADLINE_CADENCE) continue;
      lines.push(
        '',
        `### What callers found, refresh every ${cadence} s`,
        '',
        `The same states when the reading is taken every ${cadence} s. A caller hears a reading up to ${cadence} s old, and the line may have moved since: compare the share answered at once of callers who heard others waiting with the ${HEADLINE_CADENCE} s table. The goals are judged every ${HEADLINE_CADENCE} s; this shows where a slower schedule loses.`,
        '',
        ...foundTable(scores),
        '',
        `Where the room of one number per cell is at this cadence, as in "Where that room is" (${ratioText(everyone(result.byCadence.get(cadence)!).ratio.value)} as told):`,
        '',
        ...roomTable(result.roomByFound.get(cadence)!),
      );
    }
    if (result.byLoginGap.size > 0) {
      lines.push('', `### The login rule, refresh every ${HEADLINE_CADENCE} s`, '', `| longest gap in a stretch | ${OVERALL_HEADER[0]!.slice(2)}`, `| --- | ${OVERALL_HEADER[1]!.slice(2)}`);
      for (const [gap, scores] of [...result.byLoginGap].sort((a, b) => a[0] - b[0])) lines.push(overallRow(`${gap} min${gap === loginGap ? ' (the rule)' : ''}`, scores));
    }
    lines.push('', `Replayed and scored in ${result.seconds.toFixed(1)} s (three cadences${result.byLoginGap.size > 0 ? ' and two other login gaps' : ''}).`, '');
  }
  return lines.join('\n');
}

function main(): void {
  const parsed = benchArguments({ calls: { type: 'string', multiple: true }, events: { type: 'string', multiple: true }, 'login-gap-minutes': { type: 'string' }, 'window-minutes': { type: 'string' }, parameters: { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (!parsed) return;
  // `--calls a b c`: the positionals after --calls (or --events) are its files too, in argument order.
  const sources: Source[] = [];
  let kind: Source['kind'] | null = null;
  for (const token of parsed.tokens) {
    if (token.kind === 'option') {
      kind = token.name === 'calls' || token.name === 'events' ? token.name : null;
      if (kind && token.value !== undefined) sources.push({ kind, path: token.value });
    } else if (token.kind === 'positional') {
      if (!kind) usageError(`Unexpected argument '${token.value}': files follow --calls or --events`, USAGE);
      sources.push({ kind, path: token.value });
    }
  }
  const loginGap = positiveIntegerOption(parsed.values['login-gap-minutes'], DEFAULT_LOGIN_GAP_MINUTES, '--login-gap-minutes', USAGE);
  const windowMinutes = positiveIntegerOption(parsed.values['window-minutes'], 15, '--window-minutes', USAGE);
  const parameters = parametersOption(parsed.values.parameters, USAGE);
  const results: FileResult[] = [];
  try {
    for (const source of sources.length > 0 ? sources : COMMITTED_MONTHS.map((path) => ({ kind: 'calls' as const, path }))) results.push(backtestFile(source, loginGap, windowMinutes, parameters));
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    process.stderr.write(`backtest: ${error.message}\n`);
    process.exit(2);
  }
  const out = parsed.values.out ?? 'bench/results';
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'backtest.md'), markdown(results, loginGap, windowMinutes, parameters));
  process.stderr.write(`wrote ${join(out, 'backtest.md')}\n`);
  for (const result of results) process.stdout.write(`${headline(result.file, result.byCadence.get(HEADLINE_CADENCE)!)}\n`);
  // A file that gave nothing to score measured nothing: say why, and fail as for a file that cannot be used.
  const unscored = results.map((result) => ({ file: result.file, reason: unscoredReason(result, windowMinutes) })).filter((entry) => entry.reason !== null);
  for (const { file, reason } of unscored) process.stderr.write(`backtest: ${file}: no caller could be scored: ${reason}\n`);
  if (unscored.length > 0) process.exitCode = 2;
}

main();
