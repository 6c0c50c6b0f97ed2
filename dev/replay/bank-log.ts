/**
 * The published "Anonymous Bank" call log (Technion SEE lab): one call a row, tab-separated, a header
 * row, times of day on the row's yymmdd date. A call that crosses midnight has later times that are
 * smaller: they belong to the next day. Field meanings: bench/data/README.md.
 */
import { abandonedTask, answeredTask, eachRow, LOG_CHANNEL, SkipCounter, type SourceReport, type TimelineTask } from './timeline';

export const BANK_LOG_HEADER = ['vru+line', 'call_id', 'customer_id', 'priority', 'type', 'date', 'vru_entry', 'vru_exit', 'vru_time', 'q_start', 'q_exit', 'q_time', 'outcome', 'ser_start', 'ser_exit', 'ser_time', 'server'] as const;

/** The service types, each a TaskQueue. */
export const BANK_QUEUES = ['PS', 'PE', 'IN', 'NE', 'NW', 'TT'] as const;

/** Whether a first line is this format's header (trailing CR and spaces ignored). */
export function isBankLogHeader(line: string): boolean {
  return line.trimEnd() === BANK_LOG_HEADER.join('\t');
}

const DAY_SECONDS = 86_400;
/**
 * A time more than this before the call entered the voice menu belongs to the next day. Half a day: the
 * log's clocks disagree by up to a minute (a voice-menu exit before its entry), and no call lasts 12 hours.
 */
const MIDNIGHT_SLACK_SECONDS = 12 * 3600;
/** The log's priority 2 (a priority customer) is TaskRouter priority 1; 0 and 1 are regular. */
const PRIORITY_CUSTOMER = 2;

/** Seconds since midnight of `h:mm:ss`, or null. */
function secondsOfDay(text: string): number | null {
  const match = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (!match) return null;
  const [hours, minutes, seconds] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return hours < 24 && minutes < 60 && seconds < 60 ? hours * 3600 + minutes * 60 + seconds : null;
}

/** Epoch ms of UTC midnight of a `yymmdd` date (years 70–99 are 19yy, others 20yy), or null. */
function dayStartMs(text: string): number | null {
  const match = /^(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!match) return null;
  const [yy, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const year = yy >= 70 ? 1900 + yy : 2000 + yy;
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? ms : null;
}

/** Counts are whole numbers; `vru_time` is negative where the log's clocks disagree, which is kept. */
const WHOLE = /^-?\d+$/;

interface ParsedLog {
  tasks: TimelineTask[];
  report: SourceReport;
}

/**
 * The calls that reached a queue, as timeline tasks. Bad rows (a field count other than 17, a
 * non-numeric count, an unknown outcome, an invalid date or time, times out of order, an unknown type)
 * are counted by reason and skipped; virtual calls (PHANTOM) and hang-ups in the voice menu are not tasks.
 * An answered call with no service times is handled for its type's median service time.
 */
export function parseBankLog(lines: string[]): ParsedLog {
  const skipped = new SkipCounter();
  const notes: Record<string, number> = {};
  const tasks: TimelineTask[] = [];
  const missingService: TimelineTask[] = [];
  const serviceSeconds = new Map<string, number[]>();
  const rows = eachRow(lines, { char: '\t', name: 'tab' }, BANK_LOG_HEADER.length, skipped, (fields, line) => {
    const field = (name: (typeof BANK_LOG_HEADER)[number]) => fields[BANK_LOG_HEADER.indexOf(name)]!.trim();
    const outcome = field('outcome');
    const counts = [field('priority'), field('vru_time'), field('q_time'), field('ser_time')];
    if (!counts.every((value) => WHOLE.test(value)) || !['AGENT', 'HANG', 'PHANTOM'].includes(outcome)) {
      skipped.add('malformed (a count that is not a whole number, or an unknown outcome)', line);
      return;
    }
    const day = dayStartMs(field('date'));
    const times = (['vru_entry', 'vru_exit', 'q_start', 'q_exit', 'ser_start', 'ser_exit'] as const).map((name) => secondsOfDay(field(name)));
    if (day === null || times.includes(null)) {
      skipped.add('invalid date or time', line);
      return;
    }
    const type = field('type');
    if (!(BANK_QUEUES as readonly string[]).includes(type)) {
      skipped.add(`unknown type`, line);
      return;
    }
    if (outcome === 'PHANTOM') {
      notes['virtual calls (PHANTOM)'] = (notes['virtual calls (PHANTOM)'] ?? 0) + 1;
      return;
    }
    const [vruEntry, vruExit, qStart, qExit, serStart, serExit] = times as number[];
    // Times of day after the call began; one well before it is of the next day.
    const at = (seconds: number) => day + (seconds + MIDNIGHT_SLACK_SECONDS < vruEntry! ? seconds + DAY_SECONDS : seconds) * 1000;
    const queued = qStart !== 0 || Number(field('q_time')) > 0;
    const served = outcome === 'AGENT';
    const hasService = served && (serStart !== 0 || serExit !== 0 || Number(field('ser_time')) > 0);
    if (!queued && !served) {
      notes['hung up in the voice menu'] = (notes['hung up in the voice menu'] ?? 0) + 1;
      return;
    }
    const joined = queued ? at(qStart!) : at(vruExit!);
    const serviceStart = hasService ? at(serStart!) : null;
    const enteredAtMs = serviceStart === null ? joined : Math.min(joined, serviceStart);
    const leftQueueAtMs = queued ? at(qExit!) : enteredAtMs;
    const serviceEnd = hasService ? at(serExit!) : null;
    if (leftQueueAtMs < enteredAtMs || (serviceEnd !== null && serviceEnd < serviceStart!)) {
      skipped.add('invalid date or time (times out of order)', line);
      return;
    }
    const server = field('server');
    const base = { queue: type, channel: LOG_CHANNEL, priority: Number(field('priority')) === PRIORITY_CUSTOMER ? 1 : 0, enteredAtMs, worker: served && server !== '' && server !== 'NO_SERVER' ? server : null, line };
    // Without service times the handle end is set below, from the type's median.
    const task = served ? answeredTask(base, leftQueueAtMs, serviceEnd === null ? leftQueueAtMs : Math.max(leftQueueAtMs, serviceEnd)) : abandonedTask(base, leftQueueAtMs);
    if (served && serviceEnd === null) missingService.push(task);
    if (serviceEnd !== null) {
      const list = serviceSeconds.get(type) ?? [];
      list.push((serviceEnd - serviceStart!) / 1000);
      serviceSeconds.set(type, list);
    }
    tasks.push(task);
  });
  for (const task of missingService) {
    const seconds = [...(serviceSeconds.get(task.queue) ?? [0])].sort((a, b) => a - b);
    task.completedAtMs = task.wrapUpAtMs = task.acceptedAtMs! + seconds[Math.floor(seconds.length / 2)]! * 1000;
  }
  if (missingService.length > 0) notes['answered without service times (handled for the type’s median)'] = missingService.length;
  return { tasks, report: { format: 'Anonymous Bank call log', rows, tasks: tasks.length, notes, skipped: skipped.list() } };
}
