/**
 * Results of the reliability suite, appended as JSON lines to RELIABILITY_REPORT (set by
 * `npm run test:reliability`, which prints the summary). Without the variable nothing is written.
 */
import { appendFileSync } from 'node:fs';

export interface FaultResult {
  kind: 'fault';
  area: string;
  fault: string;
  /** The system did what it promises (complete snapshot, or the old one intact and a clear failure). */
  survived: boolean;
  /** Whether data of the last good refresh was lost, measured by comparing the cache before and after (cache-loss.ts); null where the fault cannot touch the cache. */
  dataLost: boolean | null;
  detail: string;
}

export interface InputResult {
  kind: 'inputs';
  target: string;
  tried: number;
  /** Different requests among those tried. */
  distinct: number;
  status4xx: number;
  status2xx: number;
  status5xx: number;
  slowest: number;
  cacheChanged: boolean;
}

export type ReliabilityResult = FaultResult | InputResult;

export function record(result: ReliabilityResult): void {
  const file = process.env['RELIABILITY_REPORT'];
  if (file) appendFileSync(file, `${JSON.stringify(result)}\n`);
}
