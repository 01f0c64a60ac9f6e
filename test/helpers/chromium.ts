/** Headless Chromium for the web UI tests: the Debian build at /usr/bin/chromium, or a skip that says why. */
import type {TestContext} from 'node:test';
import {type Browser, chromium} from 'playwright-core';

/** The browser, or undefined after marking the test skipped when there is no Chromium (.ci/run installs it). */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  const browser = await chromium
    .launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    })
    .catch((error: Error) => error);
  if (!(browser instanceof Error)) return browser;
  t.skip(`no Chromium at /usr/bin/chromium (.ci/run installs it): ${browser.message.split('\n')[0]}`);
  return undefined;
}
