// A real browser for the dashboard's tests: Debian's chromium driven by playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { waitFor } from './wait';

export const CHROMIUM = '/usr/bin/chromium';

/** Where the tests leave their screenshots, to look at after a run. */
export const SCREENSHOTS = '/tmp/salvo-dashboard';

/** Fails, never skips, without chromium: the dashboard is part of what `npm test` checks. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard tests drive Debian's chromium. ` +
        'Install it with "apt-get install chromium" (a prerequisite of npm test, like PostgreSQL and Redis).',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Waits until the element reads `expected` (whitespace trimmed), as a person would see it. */
export async function seeText(
  locator: Locator,
  expected: string | RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  return waitFor(
    `${locator.toString()} to read ${String(expected)}`,
    async () => {
      if (!(await locator.isVisible())) return undefined;
      const text = ((await locator.textContent()) ?? '').trim();
      const matches = typeof expected === 'string' ? text === expected : expected.test(text);
      return matches ? text : undefined;
    },
    { timeoutMs },
  );
}

/** Waits until the element is visible (or, with `false`, hidden or gone). */
export async function seeVisible(locator: Locator, visible = true, timeoutMs = 30_000) {
  await waitFor(
    `${locator.toString()} to be ${visible ? 'visible' : 'hidden'}`,
    async () => (await locator.isVisible()) === visible,
    { timeoutMs },
  );
}
