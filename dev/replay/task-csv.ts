/**
 * A CSV of your own center's tasks, for history older than TaskRouter's 30 days of Events: one row a
 * task, comma-separated, a header row naming the columns (any order):
 *
 * | column | required | meaning |
 * | --- | --- | --- |
 * | `queue` | yes | the TaskQueue's name |
 * | `entered_at` | yes | when the caller joined the queue (left the voice menu) |
 * | `answered_at` | one of the two | when an agent took the call |
 * | `abandoned_at` | one of the two | when the caller hung up unanswered |
 * | `agent` | answered rows | who took it |
 * | `handle_end` | answered rows | when the agent was free again (wrap-up included) |
 * | `priority` | no | TaskRouter priority, a whole number (default 0) |
 *
 * Times are ISO 8601 with a zone (`2026-03-02T09:15:00Z`, `2026-03-02T11:15:00+02:00`). Fields are not
 * quoted: names must not contain commas.
 */
import { abandonedTask, answeredTask, eachRow, LOG_CHANNEL, SkipCounter, type SourceReport, type TimelineTask } from './timeline';

export const TASK_CSV_COLUMNS = ['queue', 'entered_at', 'answered_at', 'abandoned_at', 'agent', 'handle_end', 'priority'] as const;
const REQUIRED = ['queue', 'entered_at', 'answered_at', 'abandoned_at', 'agent', 'handle_end'] as const;
type Column = (typeof TASK_CSV_COLUMNS)[number];

/** The header's columns when a first line is this format's header; null otherwise. */
export function taskCsvColumns(line: string): Column[] | null {
  const names = line.trimEnd().split(',').map((name) => name.trim().toLowerCase());
  if (!names.every((name) => (TASK_CSV_COLUMNS as readonly string[]).includes(name)) || new Set(names).size !== names.length) return null;
  return REQUIRED.every((name) => names.includes(name)) ? (names as Column[]) : null;
}

/** Epoch ms of an ISO 8601 date-time with a zone, or null. */
function instant(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

export function parseTaskCsv(lines: string[]): { tasks: TimelineTask[]; report: SourceReport } {
  const columns = taskCsvColumns(lines[0] ?? '')!;
  const skipped = new SkipCounter();
  const tasks: TimelineTask[] = [];
  const rows = eachRow(lines, { char: ',', name: 'comma' }, columns.length, skipped, (fields, line) => {
    const value = (name: Column) => {
      const at = columns.indexOf(name);
      return at === -1 ? '' : fields[at]!.trim();
    };
    const queue = value('queue');
    const priorityText = value('priority');
    if (queue === '' || (priorityText !== '' && !/^\d+$/.test(priorityText))) {
      skipped.add('malformed (an empty queue, or a priority that is not a whole number)', line);
      return;
    }
    const times = (['entered_at', 'answered_at', 'abandoned_at', 'handle_end'] as const).map((name) => (value(name) === '' ? undefined : instant(value(name))));
    if (times.includes(null) || times[0] === undefined) {
      skipped.add('invalid date or time', line);
      return;
    }
    const [entered, answered, abandoned, handleEnd] = times as [number, number | undefined, number | undefined, number | undefined];
    const agent = value('agent');
    if ((answered === undefined) === (abandoned === undefined) || (answered !== undefined && (agent === '' || handleEnd === undefined))) {
      skipped.add('malformed (a row is answered, with agent and handle_end, or abandoned, never both or neither)', line);
      return;
    }
    const left = (answered ?? abandoned)!;
    if (left < entered || (handleEnd !== undefined && answered !== undefined && handleEnd < answered)) {
      skipped.add('invalid date or time (times out of order)', line);
      return;
    }
    const base = { queue, channel: LOG_CHANNEL, priority: priorityText === '' ? 0 : Number(priorityText), enteredAtMs: entered, line };
    tasks.push(answered === undefined ? abandonedTask(base, left) : answeredTask({ ...base, worker: agent }, answered, handleEnd!));
  });
  return { tasks, report: { format: 'task CSV', rows, tasks: tasks.length, notes: {}, skipped: skipped.list() } };
}
