/**
 * The local dashboard: every queue's cached estimate beside what the simulation's callers actually
 * waited. A development page served by `npm start`, never deployed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from '@upstash/redis';
import { readAllEntries, readRefreshRecord } from '../src/cache/read';
import { refreshAgeMs } from '../src/cache/entry';
import type { Simulation, ResolvedTask } from './simulation/engine';
import { answerAt, probabilityBetween, spokenWait, toldSeconds, type WaitModel } from '../src/estimator';

/**
 * The phrase a caller hears and, where it is not the rounded mean, why: it is the likeliest minute
 * under the model (a mean of 1 min 58 s can be told "about 1 minute"), with the share of waits it holds.
 */
export function phraseOf(model: WaitModel | null): { phrase: string | null; phraseWhy: string | null } {
  if (model === null) return { phrase: null, phraseWhy: null };
  const meanSeconds = toldSeconds(model);
  const spoken = spokenWait(model, DEFAULT_SPEECH_STYLE);
  const rounded = meanSeconds < 60 ? 0 : roundMinutes(meanSeconds);
  if (spoken.minutes === rounded) return { phrase: spoken.phrase, phraseWhy: null };
  const share = Math.round(100 * probabilityBetween(model, spoken.minSeconds, spoken.maxSeconds));
  return { phrase: spoken.phrase, phraseWhy: `told "${spoken.phrase}": the likeliest minute, ${share}% of waits` };
}
import { DEFAULT_SPEECH_STYLE, roundMinutes } from '../src/speech';

/** How far back the charts reach, in simulated minutes. */
const HISTORY_MINUTES = 30;
/** The reasons that mean nobody can answer: shown as "no agents", not as a number. */
const NO_AGENTS = new Set(['no_eligible_workers', 'all_agents_logged_out']);

interface Point {
  t: number;
  v: number;
  /** The predicted range at that moment, for estimate points. */
  low?: number;
  high?: number;
}

export interface Dashboard {
  url: string;
  server: Server;
  /** Feed every resolved caller here (the simulation's onResolved). */
  recordActual(task: ResolvedTask): void;
  close(): Promise<void>;
}

export async function startDashboard(options: { sim: () => Simulation; redis: Redis; workspaceSid: string; channels: string[]; port: number }): Promise<Dashboard> {
  const actual = new Map<string, Point[]>();
  const estimates = new Map<string, Point[]>();
  /** Simulated time of the first estimate sample: the charts start there, for both series alike. */
  let firstSampleAt: number | null = null;
  let lastRefreshSeen = '';
  const key = (queueSid: string, channel: string) => `${queueSid} ${channel}`;

  const trim = (points: Point[], now: number) => {
    const cutoff = now - HISTORY_MINUTES * 60_000;
    while (points.length > 0 && points[0]!.t < cutoff) points.shift();
  };

  /** Reads every channel; when a new refresh landed, adds each queue's estimate (and range) to its chart. */
  const read = async () => {
    const now = options.sim().now();
    const [meta, ...perChannel] = await Promise.all([readRefreshRecord(options.redis, options.workspaceSid), ...options.channels.map((channel) => readAllEntries(options.redis, options.workspaceSid, channel))]);
    const entries = perChannel.flat();
    if (meta && meta.refreshedAt !== lastRefreshSeen) {
      lastRefreshSeen = meta.refreshedAt;
      firstSampleAt ??= now;
      for (const entry of entries) {
        if (entry.estimatedWaitSeconds === null) continue;
        const points = estimates.get(key(entry.queueSid, entry.channel)) ?? [];
        points.push({ t: now, v: entry.estimatedWaitSeconds, ...(entry.waitRange ? { low: entry.waitRange.low, high: entry.waitRange.high } : {}) });
        trim(points, now);
        estimates.set(key(entry.queueSid, entry.channel), points);
      }
    }
    return { entries, meta };
  };
  // Sample every refresh whether or not a browser is watching, so the charts have history when opened.
  const sampler = setInterval(() => void read().catch(() => undefined), 2000);
  sampler.unref();

  const state = async () => {
    const sim = options.sim();
    const now = sim.now();
    const { entries, meta } = await read();
    const since = Math.max(firstSampleAt ?? now, now - HISTORY_MINUTES * 60_000);
    // The local stack's clocks are one machine's: the refresher's offset to Redis is all it takes.
    const dataAgeSeconds = meta ? refreshAgeMs(meta, { redisNowMs: Date.now() + meta.clockOffsetMs, localNowMs: Date.now() }, Date.now()) / 1000 : null;
    const rows = entries
      .sort((a, b) => a.queueName.localeCompare(b.queueName) || a.channel.localeCompare(b.channel))
      .map((entry) => {
        const realtime = sim.realtime(entry.queueSid, entry.channel);
        const noAgents = entry.reason !== undefined && NO_AGENTS.has(entry.reason);
        // What a caller asking now hears: the reading aged as get-queue-times ages it.
        const answer = answerAt(entry, dataAgeSeconds ?? 0);
        return {
          queueSid: entry.queueSid,
          queueName: entry.queueName,
          channel: entry.channel,
          status: noAgents ? 'no_agents' : entry.estimatedWaitSeconds === null ? 'no_data' : 'ok',
          estimatedWaitSeconds: answer?.seconds ?? null,
          waitRange: answer?.range ?? null,
          ...phraseOf(answer?.model ?? null),
          confidence: entry.confidence,
          reason: entry.reason ?? null,
          tasksWaiting: entry.tasksWaiting,
          longestWaitSeconds: realtime['longest_task_waiting_age'] as number,
          availableWorkers: entry.availableWorkers,
          dataAgeSeconds: dataAgeSeconds === null ? null : Math.round(dataAgeSeconds),
          liveTasksWaiting: (realtime['tasks_by_status'] as { pending: number }).pending,
          estimates: (estimates.get(key(entry.queueSid, entry.channel)) ?? []).filter((point) => point.t >= since),
          actual: (actual.get(key(entry.queueSid, entry.channel)) ?? []).filter((point) => point.t >= since),
        };
      });
    return { simulatedTime: new Date(now).toISOString(), since: new Date(since).toISOString(), channels: options.channels, refreshedAt: meta?.refreshedAt ?? null, queues: rows };
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/api/state') {
      state().then(
        (body) => {
          response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
          response.end(JSON.stringify(body));
        },
        (error: unknown) => {
          response.writeHead(503, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ error: { code: 'cache_unavailable', message: (error as Error).message } }));
        },
      );
      return;
    }
    if (path === '/' || path === '/index.html') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(PAGE);
      return;
    }
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 'not_found', message: 'no such page' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    server,
    recordActual: (task) => {
      if (task.outcome !== 'accepted' || !options.channels.includes(task.channel)) return;
      const points = actual.get(key(task.queueSid, task.channel)) ?? [];
      points.push({ t: task.arrivedAtMs, v: task.waitSeconds });
      trim(points, task.arrivedAtMs);
      actual.set(key(task.queueSid, task.channel), points);
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sampler);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Queue wait times (local)</title>
<link rel="icon" href="data:,">
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330;background:#f6f7fb}
h1{font-size:20px;margin:0 0 4px}.sub{color:#5b6478;margin-bottom:16px}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 3px #0002}
th,td{padding:6px 10px;border-bottom:1px solid #e4e7ef;text-align:left;vertical-align:middle}
th{background:#eef1f8;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.low{color:#a05a00}.none{color:#a01c1c}.no_agents{color:#fff;background:#a01c1c;border-radius:4px;padding:2px 6px}
svg{background:#fbfcff;border:1px solid #e4e7ef}
.legend span{display:inline-block;margin-right:14px}.est{color:#2457c5}.band{color:#7d9be0}.act{color:#d0461b}
</style></head><body>
<h1>Queue wait times</h1>
<div class="sub" id="sub">loading…</div>
<div class="legend"><span class="est">━ cached estimate</span><span class="band">▒ predicted range</span><span class="act">● waits callers actually had (by arrival time)</span></div>
<table><thead><tr><th>Queue</th><th>Channel</th><th>Caller hears</th><th>Estimate</th><th>Status</th><th>Waiting (cached / now)</th><th>Longest wait</th><th>Available</th><th>Data age</th><th>Estimate vs actual, same period</th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const fmt = s => s === null || s === undefined ? '–' : s < 60 ? s + ' s' : Math.floor(s/60) + ' min ' + (s%60) + ' s';
const esc = t => String(t).replace(/&/g,'&amp;').replace(/</g,'&lt;');
const clock = t => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
function chart(q, since, now) {
  // The plot is 64 px high; the time axis below it, in the browser's local time.
  const w = 300, plot = 64, h = plot + 14, span = Math.max(60000, now - since);
  const pts = q.estimates.concat(q.actual);
  const max = Math.max(60, ...pts.map(p => Math.max(p.v, p.high || 0)));
  const x = t => ((t - since) / span) * w, y = v => plot - 4 - (v / max) * (plot - 8);
  const ticks = [[since, 'start', 2], [since + span / 2, 'middle', w / 2], [since + span, 'end', w - 2]].map(([t, anchor, at]) => '<text class="tick" data-t="' + t + '" x="' + at + '" y="' + (h - 3) + '" font-size="9" text-anchor="' + anchor + '" fill="#5b6478">' + clock(t) + '</text>').join('');
  const ranged = q.estimates.filter(p => p.low !== undefined && p.high !== undefined);
  const band = ranged.length ? '<path class="band" d="' + ranged.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.high).toFixed(1)).join(' ') + ' ' + ranged.slice().reverse().map(p => 'L' + x(p.t).toFixed(1) + ' ' + y(p.low).toFixed(1)).join(' ') + ' Z" fill="#2457c5" fill-opacity="0.15"/>' : '';
  const line = q.estimates.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1)).join(' ');
  const dots = q.actual.map(p => '<circle class="actual" cx="' + x(p.t).toFixed(1) + '" cy="' + y(p.v).toFixed(1) + '" r="2" fill="#d0461b"/>').join('');
  return '<svg class="chart" width="' + w + '" height="' + h + '"><text x="4" y="12" font-size="10" fill="#5b6478">max ' + fmt(Math.round(max)) + '</text><line x1="0" y1="' + plot + '" x2="' + w + '" y2="' + plot + '" stroke="#c9cfdd"/>' + ticks + band + dots + '<path class="estimate" d="' + line + '" stroke="#2457c5" stroke-width="2" fill="none"/></svg>';
}
async function tick() {
  try {
    const r = await fetch('/api/state'); const s = await r.json();
    if (!r.ok) throw new Error(s.error.message);
    const now = Date.parse(s.simulatedTime), since = Date.parse(s.since);
    document.getElementById('sub').textContent = 'Simulated time ' + new Date(now).toLocaleString() + ' · channels ' + s.channels.join(', ') + ' · snapshot ' + (s.refreshedAt || 'none yet');
    document.getElementById('rows').innerHTML = s.queues.map(q => '<tr data-queue="' + esc(q.queueName) + '" data-channel="' + q.channel + '" data-status="' + q.status + '"><td>' + esc(q.queueName) + '</td><td>' + q.channel + '</td><td class="phrase">' + (q.status === 'no_agents' ? '<span class="no_agents">no agents</span> <small class="why">' + (q.reason === 'all_agents_logged_out' ? 'every agent logged out' : 'no eligible workers on this channel') + '</small>' : esc(q.phrase || '–')) + '</td><td class="num estimate">' + fmt(q.estimatedWaitSeconds) + (q.waitRange ? ' <small>(' + fmt(q.waitRange.low) + '–' + fmt(q.waitRange.high) + ')</small>' : '') + (q.phraseWhy ? '<br><small class="why">' + esc(q.phraseWhy) + '</small>' : '') + '</td><td class="' + q.confidence + '">' + (q.status === 'no_agents' ? 'no agents' : q.confidence) + (q.reason ? ' (' + q.reason + ')' : '') + '</td><td class="num">' + (q.tasksWaiting ?? '–') + ' / ' + q.liveTasksWaiting + '</td><td class="num">' + fmt(q.longestWaitSeconds) + '</td><td class="num">' + (q.availableWorkers ?? '–') + '</td><td class="num">' + (q.dataAgeSeconds ?? '–') + ' s</td><td>' + chart(q, since, now) + '</td></tr>').join('');
  } catch (e) { document.getElementById('sub').textContent = 'Cannot read the cache: ' + e.message; }
}
tick(); setInterval(tick, 2000);
</script></body></html>`;
