/**
 * Reads a call history file into a timeline: gzipped or not, CRLF or LF, in the published Anonymous
 * Bank format or the task CSV (task-csv.ts). Which agents were logged in comes from the login rule
 * (timeline.ts `reconstructLogins`), since neither format records it.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BANK_LOG_HEADER, isBankLogHeader, parseBankLog } from './bank-log';
import { parseTaskCsv, taskCsvColumns, TASK_CSV_COLUMNS } from './task-csv';
import { reconstructLogins, timelineOf, type SourceReport, type Timeline } from './timeline';

/** A file that cannot be read as a call history: the message says why. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/** A file's text: gunzipped when it starts with gzip's magic bytes. Throws SourceError. */
export function readSourceText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new SourceError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new SourceError(`${path}: starts like gzip but does not unpack (${(error as Error).message})`);
    }
  }
  if (bytes.includes(0)) throw new SourceError(`${path}: not a text file (it holds NUL bytes)`);
  return bytes.toString('utf8');
}

/** Reads one call history. Throws SourceError when the file is in no supported format. */
export function readCallHistory(path: string, loginGapMinutes: number): { timeline: Timeline; report: SourceReport } {
  const lines = readSourceText(path).replace(/^\uFEFF/, '').split('\n');
  const first = lines[0] ?? '';
  const parsed = isBankLogHeader(first) ? parseBankLog(lines) : taskCsvColumns(first) ? parseTaskCsv(lines) : null;
  if (!parsed) {
    const shown = first.replace(/\r$/, '').slice(0, 80);
    throw new SourceError(
      `${path}: not a supported format. Its first line (${JSON.stringify(shown)}) is neither the Anonymous Bank header (${BANK_LOG_HEADER.length} tab-separated names, "${BANK_LOG_HEADER.slice(0, 3).join('\\t')}\\t…") nor a task CSV header (comma-separated, from ${TASK_CSV_COLUMNS.join(', ')}; all but priority required)`,
    );
  }
  if (parsed.tasks.length === 0) throw new SourceError(`${path}: ${parsed.report.format} with no usable task (${parsed.report.rows} rows read)`);
  const workers = reconstructLogins(parsed.tasks, loginGapMinutes);
  return { timeline: timelineOf(parsed.tasks, workers, false), report: parsed.report };
}
