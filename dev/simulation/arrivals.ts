/**
 * What arrives and how long it takes: cumulative share tables for a task's channel and priority, and
 * the random draws (exponential gaps and patience, log-normal or exponential handle times), all from
 * one seeded generator so a scenario is repeatable.
 */
import type { HandleTime } from './scenario';

export function picker<T>(shares: Record<string, number>, parse: (key: string) => T): { value: T; upTo: number }[] {
  const total = Object.values(shares).reduce((sum, share) => sum + share, 0) || 1;
  let running = 0;
  return Object.entries(shares).map(([key, share]) => {
    running += share / total;
    return { value: parse(key), upTo: running };
  });
}


export class Draws {
  constructor(readonly random: () => number) {}

  exponential(ratePerMs: number): number {
    return -Math.log(1 - this.random()) / ratePerMs;
  }

  normal(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  handle(handle: HandleTime): number {
    return handle.distribution === 'exponential' ? this.exponential(1 / handle.mean) : handle.median * Math.exp(handle.sigma * this.normal());
  }
}
