/** Twilio SID shapes: two letters and 32 lowercase hex digits. */
const SID_PATTERN = /^[A-Z]{2}[0-9a-f]{32}$/;

export type SidPrefix = 'AC' | 'WS' | 'WQ' | 'WW' | 'SK' | 'WT';

/** True when `value` is a SID with the given prefix. */
export function isSid(value: unknown, prefix: SidPrefix): value is string {
  return typeof value === 'string' && value.length === 34 && value.startsWith(prefix) && SID_PATTERN.test(value);
}
