// The page shell: languages, routes, the service status, and a phone-sized screen.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web');

function expect(cond, what) {
  if (!cond) throw new Error(what);
}

export const checks = [
  {
    name: 'the shell loads in Japanese on a 360 px phone without errors or CSP violations',
    async run({ open, artifacts }) {
      const page = await open({ locale: 'ja-JP', width: 360 });
      await page.goto('/');
      await page.waitForSelector('#status[data-state="status.ok"]');
      expect((await page.getAttribute('html', 'lang')) === 'ja', 'html lang is not ja');
      const name = await page.textContent('.brand .name');
      expect(name.includes('窓口'), `header shows "${name}"`);
      await page.screenshot({ path: path.join(artifacts, 'home-ja-360.png'), fullPage: true });
    },
  },
  {
    name: 'nothing is wider than a 360 px screen',
    async run({ open }) {
      const page = await open({ width: 360 });
      await page.goto('/');
      await page.waitForSelector('#status[data-state="status.ok"]');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width <= 360, `page is ${width} px wide`);
    },
  },
  {
    name: 'switching to English changes the page and survives a reload',
    async run({ open }) {
      const page = await open({ locale: 'ja-JP' });
      await page.goto('/');
      await page.click('button[data-lang="en"]');
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      expect((await page.textContent('a[data-route="access-log"]')) === 'Access log', 'nav not in English');
      await page.reload();
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      expect((await page.getAttribute('button[data-lang="en"]', 'aria-pressed')) === 'true', 'English not marked');
    },
  },
  {
    name: 'a hash route shows its view and marks the menu',
    async run({ open }) {
      const page = await open({ locale: 'en-US' });
      await page.goto('/#/login');
      await page.waitForSelector('[data-view="login"]:not([hidden])');
      expect(await page.isHidden('[data-view="home"]'), 'home still shown');
      await page.click('a[data-route="home"]');
      await page.waitForSelector('[data-view="home"]:not([hidden])');
      const current = await page.getAttribute('a[data-route="home"]', 'aria-current');
      expect(current === 'page', 'menu does not mark the current page');
      expect(await page.isHidden('[data-view="login"]'), 'login still shown');
    },
  },
  {
    name: 'the status line shows the version from /api/v1/about',
    async run({ open, base }) {
      const page = await open({ locale: 'en-US' });
      await page.goto('/');
      const about = await (await page.request.get(`${base}/api/v1/about`)).json();
      await page.waitForSelector('#status[data-state="status.ok"]');
      const text = await page.textContent('#status');
      expect(text.includes(about.version), `status says "${text}"`);
    },
  },
  {
    name: 'both languages have the same keys',
    async run() {
      const ja = JSON.parse(await readFile(path.join(web, 'i18n/ja.json'), 'utf8'));
      const en = JSON.parse(await readFile(path.join(web, 'i18n/en.json'), 'utf8'));
      const missing = [...Object.keys(ja).filter((k) => !(k in en)).map((k) => `en lacks ${k}`),
        ...Object.keys(en).filter((k) => !(k in ja)).map((k) => `ja lacks ${k}`)];
      expect(missing.length === 0, missing.join(', '));
    },
  },
];
