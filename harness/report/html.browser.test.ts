/**
 * The HTML reports opened in a real browser (Debian's chromium through playwright-core),
 * from file:// with every network request blocked: the page must render, carry its charts
 * as SVG, run no script, ask for nothing, and log no errors. Screenshots and the pages are
 * kept in reports/artifacts/ for a human (and CI) to look at.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from './quarterly.ts';
import { renderQuarterlyHtml } from './quarterly-html.ts';
import { renderRunHtml } from './run-html.ts';
import { mixedInvocation, repeatInvocation } from './testing/invocations.ts';
import { syntheticHistory } from './testing/synthetic-history.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../reports/artifacts/', import.meta.url));
const GENERATED_AT = Date.parse('2026-04-07T08:00:00Z');

const available = existsSync(CHROMIUM);
if (!available && process.env['CI'])
  throw new Error(`${CHROMIUM} is missing: the HTML reports cannot be checked (apt-get install chromium)`);
if (!available) console.warn(`SKIPPED: HTML browser tests need ${CHROMIUM} (apt-get install chromium)`);

interface Opened {
  readonly title: string;
  readonly h1: string;
  readonly charts: { width: number; height: number; shapes: number }[];
  readonly scripts: number;
  readonly text: string;
  readonly blocked: string[];
  readonly errors: string[];
}

describe.skipIf(!available)('HTML reports in headless chromium, offline', () => {
  let browser: Browser;
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Write the page, open it with the network cut, collect what a reader would see and what went wrong. */
  async function open(name: string, html: string): Promise<Opened> {
    const file = `${ARTIFACTS}${name}.html`;
    await writeFile(file, html);
    const url = pathToFileURL(file).href;
    const context = await browser.newContext({
      viewport: { width: 1200, height: 900 },
      serviceWorkers: 'block',
    });
    const blocked: string[] = [];
    const errors: string[] = [];
    await context.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (r.url() !== url) errors.push(`request failed: ${r.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    // Runs in the page. The project compiles without DOM types, so the few used are declared here.
    const seen = await page.evaluate(() => {
      type El = {
        textContent: string | null;
        getBoundingClientRect(): { width: number; height: number };
        querySelectorAll(s: string): { length: number };
      };
      const document = (
        globalThis as unknown as {
          document: {
            title: string;
            body: El;
            querySelector(s: string): El | null;
            querySelectorAll(s: string): Iterable<El> & { length: number };
          };
        }
      ).document;
      return {
        title: document.title,
        h1: document.querySelector('h1')?.textContent ?? '',
        charts: [...document.querySelectorAll('figure.chart svg')].map((svg) => {
          const box = svg.getBoundingClientRect();
          return {
            width: box.width,
            height: box.height,
            shapes: svg.querySelectorAll('path, rect, text').length,
          };
        }),
        scripts: document.querySelectorAll('script').length,
        text: document.body.textContent ?? '',
      };
    });
    await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
    // The first screen on its own: what a reader sees on opening, small enough to glance at in CI.
    await page.screenshot({ path: `${ARTIFACTS}${name}-top.png` });
    await context.close();
    return { ...seen, blocked, errors };
  }

  const expectHealthy = (o: Opened) => {
    expect(o.blocked).toEqual([]);
    expect(o.errors).toEqual([]);
    expect(o.scripts).toBe(0);
    for (const c of o.charts) {
      expect(c.width).toBeGreaterThan(300);
      expect(c.height).toBeGreaterThan(150);
      expect(c.shapes).toBeGreaterThan(10);
    }
  };

  it('renders the run report of a repeat with a timeline per run and the target charts', async () => {
    const records = [...repeatInvocation(), ...mixedInvocation()];
    const o = await open('run-report', renderRunHtml(records, { generatedAtMs: GENERATED_AT }));
    expectHealthy(o);
    expect(o.title).toBe('Fire drill: 6 scenarios, 12 runs');
    // One timeline per run plus the MTTD and MTTR charts.
    expect(o.charts).toHaveLength(records.length + 2);
    // Runbook output that looks like markup is shown as text, not run.
    expect(o.text).toContain('<script>alert("pwned")</script> & | `tick`');
    expect(o.text).toContain('MTTD 10m 00s missed target < 5m 00s');
  });

  it('renders the quarterly review with its KPI table and trend charts', async () => {
    const start = Date.parse('2026-01-05T00:00:00Z');
    const q = aggregate(syntheticHistory({ startMs: start }), {
      sinceMs: start,
      now: start + 91 * 86_400_000,
    });
    const html = renderQuarterlyHtml(q, {
      source: 'reports/runs',
      invalid: [{ path: 'reports/runs/<bad>.json', reason: 'not JSON' }],
      generatedAtMs: GENERATED_AT,
    });
    const o = await open('quarterly', html);
    expectHealthy(o);
    expect(o.h1).toBe('Reliability review: 2026-01-05 to 2026-04-06');
    // MTTD and MTTR per scenario, weekly MTTD, weekly MTTR, weekly outcomes.
    expect(o.charts).toHaveLength(5);
    for (const kpi of [
      'MTTR (mean time to resolution)',
      'False-positive rate',
      'Runbook accuracy',
      'Escalation rate',
      'Recurrence rate (30 days)',
      'Customer impact duration',
    ])
      expect(o.text).toContain(kpi);
    expect(o.text).toContain('reports/runs/<bad>.json');
    // A step error carrying markup is listed in the findings as text.
    expect(o.text).toContain('<script>alert("x")</script>');
  });
});
