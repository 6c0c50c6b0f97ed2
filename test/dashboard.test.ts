/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core; no browser download),
 * on the stack `npm start` runs: it loads without console errors, lists every demo queue on voice and
 * chat, draws its charts, moves between refreshes, and shows the after-hours queue as "no agents".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { phraseOf } from '../dev/dashboard';
import { freePort } from '../dev/redis-engine';

const root = join(__dirname, '..');
const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
/** CI installs chromium and sets REQUIRE_BROWSER=1; a machine without it skips, saying why. */
const available = existsSync(CHROMIUM);
if (!available && process.env['REQUIRE_BROWSER'] === '1') throw new Error(`REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM} (apt-get install chromium)`);
const describeWithBrowser = available ? describe : describe.skip;
/** Where the screenshot goes: test-artifacts/ (git-ignored), for a person to look at. */
const ARTIFACTS = join(root, 'test-artifacts');

const DEMO_QUEUES = ['Billing', 'Sales', 'Spanish', 'Support', 'Technical', 'VIP'];

describe('why the dashboard says the phrase it says', () => {
  it('explains a phrase that is not the rounded mean: it is the likeliest minute, with its share of waits', () => {
    // A mean of 1 min 58 s with an exponential-like spread: "about 1 minute" holds the most probability.
    expect(phraseOf({ meanSeconds: 118, shape: 1 })).toEqual({ phrase: 'about 1 minute', phraseWhy: expect.stringMatching(/^told "about 1 minute": the likeliest minute, \d+% of waits$/) });
    expect(phraseOf({ meanSeconds: 118, shape: 5 })).toEqual({ phrase: 'about 2 minutes', phraseWhy: null });
    expect(phraseOf({ meanSeconds: 0, shape: 1 })).toEqual({ phrase: 'less than a minute', phraseWhy: null });
    expect(phraseOf(null)).toEqual({ phrase: null, phraseWhy: null });
  });
});

describeWithBrowser(`the dashboard in headless chromium${available ? '' : ' [skipped: no chromium at ' + CHROMIUM + '; CI installs it]'}`, () => {
  let stack: ChildProcess;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    const [functionsPort, dashboardPort] = [await freePort(), await freePort()];
    stack = spawn('npm', ['start', '--', '--functions-port', String(functionsPort), '--dashboard-port', String(dashboardPort), '--speed', '60', '--refresh-seconds', '5'], { cwd: root, env: { ...process.env }, detached: true });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const check = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ctrl-C stops everything')) resolve();
      };
      stack.stdout!.on('data', check);
      stack.stderr!.on('data', check);
      stack.once('exit', () => reject(new Error(`npm start exited:\n${output}`)));
    });
    // playwright gives the browser a new, empty profile of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${dashboardPort}/`);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (stack?.pid) process.kill(-stack.pid, 'SIGTERM');
    if (stack && stack.exitCode === null) await new Promise((resolve) => stack.once('exit', resolve));
  });

  it('lists every demo queue on voice and chat, with the phrase a caller hears', async () => {
    await page.waitForFunction((count) => document.querySelectorAll('tr[data-queue]').length === count, DEMO_QUEUES.length * 2, { timeout: 60_000 });
    const rows = await page.$$eval('tr[data-queue]', (trs) => trs.map((tr) => `${tr.getAttribute('data-queue')} ${tr.getAttribute('data-channel')}`));
    expect(rows.sort()).toEqual(DEMO_QUEUES.flatMap((queue) => [`${queue} chat`, `${queue} voice`]).sort());
    const phrases = await page.$$eval('tr[data-status="ok"] td.phrase', (cells) => cells.map((cell) => cell.textContent));
    expect(phrases.length).toBeGreaterThan(0);
    for (const phrase of phrases) expect(phrase).toMatch(/^(less than a minute|about \d+ minutes?)$/);
  });

  it('draws the charts: estimate line, range band and actual waits over the same period', async () => {
    await page.waitForFunction(() => Array.from(document.querySelectorAll("path.estimate")).some((path) => (path.getAttribute('d') ?? '').split('L').length >= 3), undefined, { timeout: 60_000 });
    expect(await page.$$eval('svg.chart', (charts) => charts.length)).toBe(DEMO_QUEUES.length * 2);
    expect(await page.$$eval('path.band', (bands) => bands.length)).toBeGreaterThan(0);
    expect(await page.$$eval('circle.actual', (dots) => dots.length)).toBeGreaterThan(0);
    // Same period: no actual wait is plotted left of the chart's start (x < 0).
    expect(await page.$$eval('circle.actual', (dots) => dots.filter((dot) => Number(dot.getAttribute('cx')) < 0).length)).toBe(0);
    // A time axis in the browser's local time: start, middle and end of the period under every chart.
    const ticks = await page.$$eval('svg.chart', (charts) => charts.map((chart) => Array.from(chart.querySelectorAll('text.tick')).map((tick) => ({ t: Number(tick.getAttribute('data-t')), text: tick.textContent }))));
    expect(ticks.length).toBe(DEMO_QUEUES.length * 2);
    for (const axis of ticks) {
      expect(axis).toHaveLength(3);
      expect(axis[0]!.t).toBeLessThan(axis[2]!.t);
    }
    const localTimes = await page.evaluate((axis) => axis.map(({ t }) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })), ticks[0]!);
    expect(ticks[0]!.map(({ text }) => text)).toEqual(localTimes);
    for (const { text } of ticks[0]!) expect(text).toMatch(/\d{1,2}:\d{2}/);
  });

  it('moves between two refreshes', async () => {
    const snapshot = () => page.$eval('#sub', (element) => element.textContent ?? '');
    const values = () => page.$$eval('tr[data-queue]', (trs) => trs.map((tr) => tr.textContent).join('\n'));
    const firstLabel = await snapshot();
    const first = await values();
    await page.waitForFunction((label) => document.getElementById('sub')!.textContent !== label, firstLabel, { timeout: 60_000 });
    const secondLabel = await snapshot();
    await page.waitForFunction((label) => document.getElementById('sub')!.textContent !== label, secondLabel, { timeout: 60_000 });
    expect(await values()).not.toBe(first);
  });

  it('shows the queue whose agents logged out as "no agents", and no console error happened', async () => {
    // The demo's Spanish line closes 10 simulated minutes in (60x: about 10 s of real time).
    await page.waitForSelector('tr[data-queue="Spanish"][data-channel="voice"][data-status="no_agents"]', { timeout: 90_000 });
    // Why there is no number: after hours is told apart from a channel nobody is eligible for.
    expect(await page.$eval('tr[data-queue="Spanish"][data-channel="voice"] td.phrase', (cell) => cell.textContent)).toBe('no agents every agent logged out');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
