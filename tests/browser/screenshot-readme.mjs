// Takes the README screenshots from a running `safeguard serve --demo`:
//   docs/images/sign-in.png       the sign-in page
//   docs/images/child-record.png  the record of the demo social worker's first allocated child
// Both are 1280 CSS pixels wide.
//
//   SAFEGUARD_URL=http://127.0.0.1:8099 node tests/browser/screenshot-readme.mjs
//
// Usually run through scripts/readme-screenshots.sh, which starts the server.
// Env: SAFEGUARD_URL (required), SCREENSHOT_OUT (default docs/images),
//      CHROMIUM_BIN (default /usr/bin/chromium).

import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const BASE = (process.env.SAFEGUARD_URL || '').replace(/\/+$/, '')
const OUT_DIR = process.env.SCREENSHOT_OUT
  ? path.resolve(process.env.SCREENSHOT_OUT)
  : path.join(REPO_ROOT, 'docs', 'images')
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
const WIDTH = 1280
const MAX_HEIGHT = 2400 // keep README images a sensible length
const DEMO_EMAIL = 'social.worker@demo.safeguard.test'
const DEMO_PASSWORD = 'demo-password-not-secret'
const UUID_PATH = /^\/children\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function fail(message) {
  throw new Error(message)
}

async function settle(page) {
  await page.waitForLoadState('load')
  await page
    .waitForFunction(() => document.body.classList.contains('govuk-frontend-supported'), null, { timeout: 5_000 })
    .catch(() => console.error('screenshot-readme: warning: GOV.UK Frontend JS did not initialise'))
  await page.evaluate(() => document.fonts.ready.then(() => undefined))
}

async function shoot(page, name) {
  await settle(page)
  const height = await page.evaluate(() => document.documentElement.scrollHeight)
  const file = path.join(OUT_DIR, name)
  await page.screenshot({
    path: file,
    fullPage: true,
    clip: { x: 0, y: 0, width: WIDTH, height: Math.min(height, MAX_HEIGHT) },
  })
  const shown = file.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, file) : file
  console.log(`screenshot-readme: ${shown} (${WIDTH}x${Math.min(height, MAX_HEIGHT)})`)
}

async function clickAndWait(page, locator) {
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
    locator.click(),
  ])
  await page.waitForLoadState('load')
}

async function main() {
  if (!BASE) fail('set SAFEGUARD_URL, e.g. http://127.0.0.1:8099')
  await mkdir(OUT_DIR, { recursive: true })
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: CHROMIUM_ARGS })
  try {
    const context = await browser.newContext({
      viewport: { width: WIDTH, height: 800 },
      deviceScaleFactor: 1,
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()

    const resp = await page.goto(`${BASE}/sign-in`, { waitUntil: 'load' })
    if (!resp || resp.status() !== 200) fail(`GET /sign-in: HTTP ${resp?.status()}`)
    await shoot(page, 'sign-in.png')

    await page.getByLabel('Email address', { exact: true }).fill(DEMO_EMAIL)
    await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD)
    await clickAndWait(page, page.getByRole('button', { name: 'Sign in', exact: true }))
    if (new URL(page.url()).pathname !== '/home') fail(`sign-in landed on ${page.url()}, expected /home`)

    let href = null
    for (const link of await page.locator('main a[href^="/children/"]').all()) {
      const h = await link.getAttribute('href')
      if (UUID_PATH.test(h)) {
        href = h
        break
      }
    }
    if (!href) fail('/home lists no children')
    const child = await page.goto(BASE + href, { waitUntil: 'load' })
    if (!child || child.status() !== 200) fail(`GET ${href}: HTTP ${child?.status()}`)
    await shoot(page, 'child-record.png')
    await context.close()
  } finally {
    await browser.close()
  }
}

try {
  await main()
} catch (err) {
  console.error(`screenshot-readme: FAILED: ${err.message}`)
  process.exit(1)
}
