/**
 * What the refresher remembers of one queue on one channel between readings, so rates can be read from
 * how TaskRouter's numbers move over time and not only from one reading. It is small and changes
 * little: a looping refresher keeps it in memory, a fresh process reads it back from Redis (stored by
 * src/cache/, written only where it changed).
 */
import type { QueueObservation } from './observation';

export interface QueueHistory {
  /**
   * Time-average of the queue's tasks in service (reserved + assigned + wrapping), an exponentially
   * weighted mean whose time constant is half the statistics window: its mean age then equals a
   * box window's, so Little's law can pair it with the window's acceptances.
   */
  busy: number;
  /** How much of one window the average has seen, 0..1: how far to trust it over the reading alone. */
  coverage: number;
  /**
   * When the average started (ms, the refresher's reading clock). Stored instead of the coverage, which
   * follows from it: a stored history then stops changing once the queue is steady.
   */
  startedAtMs: number;
  /**
   * Slots per Available worker on this channel: tasks in service over Available workers the last time
   * callers were waiting (then every slot the queue could use was taken). Per worker, so it still holds
   * when agents come and go. null until callers have been seen waiting with an agent Available.
   */
  slotsPerWorker: number | null;
}

/** Stored values keep two decimals: enough for the estimates, and a steady queue's history stops changing. */
const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * The history after one more reading, taken at `readAtMs`, `elapsedSeconds` after the one before. A
 * gap longer than the window (the refresher was stopped) starts afresh: the old average describes
 * another period.
 */
export function advanceHistory(previous: QueueHistory | null, observation: QueueObservation, elapsedSeconds: number, readAtMs: number): QueueHistory | null {
  const inService = observation.tasksInService;
  if (inService === null) return null;
  const available = observation.availableWorkers ?? 0;
  const slotsNow = (observation.tasksWaiting ?? 0) > 0 && available > 0 ? round2(inService / available) : null;
  const window = observation.windowSeconds;
  if (previous === null || !(elapsedSeconds > 0) || elapsedSeconds > window) {
    return { busy: inService, coverage: 0, startedAtMs: readAtMs, slotsPerWorker: slotsNow };
  }
  const keep = Math.exp(-elapsedSeconds / (window / 2));
  return {
    busy: round2(previous.busy * keep + inService * (1 - keep)),
    coverage: round2(Math.min(1, Math.max(0, (readAtMs - previous.startedAtMs) / 1000 / window))),
    startedAtMs: previous.startedAtMs,
    slotsPerWorker: slotsNow ?? previous.slotsPerWorker,
  };
}

/**
 * Compact text for Redis: "busy,started (epoch seconds),slotsPerWorker" ("" when unknown). Once the
 * average has seen a whole window its start no longer matters, and is stored as 0: the text of a
 * steady queue then never changes, and a start is always recent (src/cache/state.ts packs it short).
 */
export function encodeHistory(history: QueueHistory): string {
  return `${history.busy},${history.coverage >= 1 ? 0 : Math.floor(history.startedAtMs / 1000)},${history.slotsPerWorker ?? ''}`;
}

/**
 * The history from its stored text; null when malformed (a fresh start is always safe). Its coverage
 * is 0 until advanceHistory computes it from the next reading's time (a start of 0 then covers all).
 */
export function decodeHistory(text: unknown): QueueHistory | null {
  if (typeof text !== 'string') return null;
  const parts = text.split(',');
  if (parts.length !== 3) return null;
  const [busy, startedSeconds] = parts.slice(0, 2).map(Number) as [number, number];
  const slotsPerWorker = parts[2] === '' ? null : Number(parts[2]);
  if (!(busy >= 0) || !Number.isInteger(startedSeconds) || !(startedSeconds >= 0) || (slotsPerWorker !== null && !(slotsPerWorker >= 0))) return null;
  return { busy, coverage: 0, startedAtMs: startedSeconds * 1000, slotsPerWorker };
}
