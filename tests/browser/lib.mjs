// Shared helpers for the browser tests (journey.mjs, referral.mjs, case.mjs): Chromium
// launch, per-page instrumentation (script errors, CSP, failed sub-resources,
// third-party requests), navigation, form-field checks, and a screenshot plus
// axe-core (WCAG 2.2 AA rule set) check of each visited page.
//
// A script calls createJourney(name, options) once and runs its steps with
// journey.run(async (browser) => { ... }); run() prints the summary and exits
// with 0 only if every step passed, axe found no violations and nothing else
// went wrong.
//
// Env:
//   SAFEGUARD_URL   base URL of a running `safeguard serve --demo` (required)
//   SCREENSHOT_DIR  where to put screenshots (default tests/browser/screenshots)
//   CHROMIUM_BIN    Chromium executable (default /usr/bin/chromium, Debian's package)

import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BASE = (process.env.SAFEGUARD_URL || '').replace(/\/+$/, '')
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR
  ? path.resolve(process.env.SCREENSHOT_DIR)
  : path.join(REPO_ROOT, 'tests', 'browser', 'screenshots')
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']
export const DEMO_PASSWORD = 'demo-password-not-secret'
// A UUID (v4 or v7, lower or upper case), for building path patterns.
export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
export const STEP_TIMEOUT_MS = 15_000

export class JourneyFailure extends Error {}

export function fail(message) {
  throw new JourneyFailure(message)
}

export const shown = (file) => (file.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, file) : file)
export const norm = (s) => (s ?? '').replace(/\s+/g, ' ').trim()

export function pathOf(page) {
  return new URL(page.url()).pathname
}

// Status of the last document (not a redirect) loaded in a page's main frame;
// recorded by instrument().
const documentStatuses = new WeakMap()

export function documentStatus(page) {
  return documentStatuses.get(page)
}

export async function h1Text(page) {
  const h1 = page.locator('h1')
  const n = await h1.count()
  if (n !== 1) fail(`${pathOf(page)}: expected exactly one <h1>, found ${n}`)
  return norm(await h1.innerText())
}

export async function expectField(page, label, name) {
  const field = page.getByLabel(label, { exact: true })
  const n = await field.count()
  if (n !== 1) fail(`${pathOf(page)}: expected one field labelled "${label}", found ${n}`)
  const actual = await field.getAttribute('name')
  if (actual !== name) fail(`${pathOf(page)}: field labelled "${label}" has name="${actual}", expected "${name}"`)
  return field
}

export async function expectNamedInput(page, name) {
  const n = await page.locator(`input[name="${name}"]`).count()
  if (n !== 1) fail(`${pathOf(page)}: expected one <input name="${name}">, found ${n}`)
}

export function expectStatus(page, status, expected, what) {
  if (status !== expected) fail(`${what}: HTTP ${status} on ${pathOf(page)}, expected ${expected}`)
}

export async function expectH1(page, expected) {
  const h1 = await h1Text(page)
  if (h1 !== expected) fail(`${pathOf(page)}: h1 is "${h1}", expected "${expected}"`)
}

// The one button with this accessible name.
export async function button(page, name) {
  const b = page.getByRole('button', { name, exact: true })
  const n = await b.count()
  if (n !== 1) fail(`${pathOf(page)}: expected one "${name}" button, found ${n}`)
  return b
}

// The one link with this accessible name inside scope (default <main>).
export async function link(page, name, scope = 'main') {
  const l = page.locator(scope).getByRole('link', { name, exact: true })
  const n = await l.count()
  if (n !== 1) fail(`${pathOf(page)}: expected one "${name}" link, found ${n}`)
  return l
}

// Fill a GOV.UK date input: <input name="{prefix}-day|month|year">.
export async function fillDate(page, prefix, { day, month, year }) {
  for (const [part, value] of [['day', day], ['month', month], ['year', year]]) {
    const input = page.locator(`input[name="${prefix}-${part}"]`)
    if ((await input.count()) !== 1) fail(`${pathOf(page)}: expected one <input name="${prefix}-${part}">`)
    await input.fill(value)
  }
}

// The text of the page's GOV.UK error summary, or '' if it has none.
export async function errorSummaryText(page) {
  return norm(await page.locator('.govuk-error-summary').first().innerText({ timeout: 1_000 }).catch(() => ''))
}

export const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// The one <table> in <main> whose <caption> (visually hidden or not) is exactly this
// text, or matches this RegExp. With optional: true, null if there is no such table.
export async function tableByCaption(page, caption, { optional = false } = {}) {
  const pattern = caption instanceof RegExp ? caption : new RegExp(`^\\s*${escapeRegExp(caption)}\\s*$`)
  const t = page.locator('main table').filter({ has: page.locator('caption').filter({ hasText: pattern }) })
  const n = await t.count()
  if (n === 0 && optional) return null
  if (n !== 1) fail(`${pathOf(page)}: expected one table with caption "${caption}", found ${n}`)
  return t
}

// The rows of a table's body, each as the normalised text of its cells.
export async function tableRows(table) {
  const rows = []
  for (const row of await table.locator('tbody tr').all()) {
    rows.push((await row.locator('th, td').allInnerTexts()).map(norm))
  }
  return rows
}

// One journey (one script run): its log prefix, its counters and its helpers.
//   name              log prefix, e.g. "browser journey"
//   screenshotPrefix  prefix of the screenshot file names (default none)
//   timeoutMs         the whole run must finish within this (default 180 s)
export function createJourney(name, { screenshotPrefix = '', timeoutMs = 180_000 } = {}) {
  const state = {
    pages: 0,
    axeViolations: 0, // violation rules summed over pages
    problems: new Map(), // non-fatal problems found along the way: message -> pages it happened on
  }
  let currentPage = null // the page a failure screenshot is taken of
  let origin = null

  function log(message) {
    console.log(`${name}: ${message}`)
  }

  // Record a non-fatal problem (reported, and failing the run, at the end). The same
  // problem on several pages is reported once, with the pages listed.
  function problem(message, pageUrl) {
    const where = pageUrl ? new URL(pageUrl).pathname : ''
    const pages = state.problems.get(message) ?? new Set()
    if (where) pages.add(where)
    state.problems.set(message, pages)
  }

  function problemLines() {
    return [...state.problems].map(([message, pages]) => (pages.size ? `${message} (on ${[...pages].join(', ')})` : message))
  }

  // Watch a page for things that are wrong even when the page "works": uncaught
  // script errors, CSP violations, sub-resources (CSS, JS, fonts, images) that
  // fail to load, and any request leaving our origin (nothing should be fetched
  // from a third party).
  function instrument(page) {
    const failedUrls = new Set()
    page.on('pageerror', (err) => {
      problem(`uncaught script error: ${err.message}`, page.url())
    })
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return
      const text = msg.text()
      // Failed sub-resources are reported (with their URL) by the response check.
      if (/^Failed to load resource/i.test(text)) return
      problem(`console error: ${text}`, page.url())
    })
    page.on('request', (req) => {
      const url = req.url()
      if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('about:')) return
      if (new URL(url).origin !== origin) {
        problem(`request to another origin: ${req.method()} ${url}`, page.url())
      }
    })
    page.on('response', (resp) => {
      const req = resp.request()
      if (req.resourceType() === 'document') {
        // Checked by the steps themselves; remember the status for them.
        if (req.frame() === page.mainFrame() && (resp.status() < 300 || resp.status() >= 400)) {
          documentStatuses.set(page, resp.status())
        }
        return
      }
      if (resp.status() >= 400) {
        failedUrls.add(resp.url())
        problem(`${req.resourceType()} ${new URL(resp.url()).pathname} returned HTTP ${resp.status()}`, page.url())
      }
    })
    page.on('requestfailed', (req) => {
      if (req.resourceType() === 'document') return
      const url = req.url()
      if (url.startsWith('data:') || failedUrls.has(url)) return
      problem(`${req.resourceType()} ${url} failed: ${req.failure()?.errorText}`, page.url())
    })
  }

  // A page in a fresh browser context (no cookies: signed out).
  async function newPage(browser) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    })
    context.setDefaultTimeout(STEP_TIMEOUT_MS)
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS)
    const page = await context.newPage()
    instrument(page)
    currentPage = page
    return page
  }

  // Load a page and check its HTTP status (200 unless told otherwise).
  async function goto(page, pathname, { status = 200 } = {}) {
    const resp = await page.goto(BASE + pathname, { waitUntil: 'load' })
    if (!resp) fail(`GET ${pathname}: no response`)
    if (resp.status() !== status) fail(`GET ${pathname}: HTTP ${resp.status()}, expected ${status}`)
    return resp
  }

  // Click something that submits a form or follows a link, and wait for the new
  // document to load. Returns the HTTP status of the document loaded (after any
  // redirect).
  async function clickAndWait(page, locator, what) {
    try {
      await Promise.all([
        page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }),
        locator.click(),
      ])
      await page.waitForLoadState('load')
    } catch (err) {
      fail(`${what}: ${err.message.split('\n')[0]} (still on ${page.url()})`)
    }
    return documentStatus(page)
  }

  // Check the vendored GOV.UK Frontend CSS and JS were applied (i.e. /assets/... resolved
  // and init.js ran under the CSP).
  async function checkFrontendLoaded(page) {
    const cssVersion = await page.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue('--govuk-frontend-version').trim(),
    )
    if (!cssVersion) {
      problem('GOV.UK Frontend CSS not applied (no --govuk-frontend-version on :root); is /assets/govuk-frontend.min.css linked and served?', page.url())
    }
    try {
      await page.waitForFunction(
        () => document.body.classList.contains('js-enabled') && document.body.classList.contains('govuk-frontend-supported'),
        null,
        { timeout: 5_000 },
      )
    } catch {
      problem('<body> lacks js-enabled/govuk-frontend-supported; is <script type="module" src="/assets/init.js"> in the layout and allowed by the CSP?', page.url())
    }
    return cssVersion
  }

  // Screenshot + axe for one visited page.
  async function checkPage(page, slug, label) {
    state.pages += 1
    const n = String(state.pages).padStart(2, '0')
    await checkFrontendLoaded(page)
    await page.evaluate(() => document.fonts.ready.then(() => undefined))
    const file = path.join(SCREENSHOT_DIR, `${screenshotPrefix}${n}-${slug}.png`)
    await page.screenshot({ path: file, fullPage: true })

    const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()
    const v = results.violations
    state.axeViolations += v.length
    if (v.length === 0) {
      log(`page ${n} ${label} (${pathOf(page)}): ok, 0 axe violations, ${shown(file)}`)
      return
    }
    console.log(`${name}: page ${n} ${label} (${page.url()}): ${v.length} axe violation(s):`)
    for (const violation of v) {
      console.log(`  - ${violation.id} [${violation.impact}] ${violation.help}`)
      console.log(`    ${violation.helpUrl}`)
      for (const node of violation.nodes) {
        console.log(`    target: ${node.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' , ')}`)
        console.log(`      html: ${node.html.length > 400 ? node.html.slice(0, 400) + '…' : node.html}`)
        if (node.failureSummary) {
          console.log(`      ${node.failureSummary.replace(/\n/g, '\n      ')}`)
        }
      }
    }
  }

  // Open /sign-in and check its form; returns the email and password fields and
  // the submit button.
  async function signInForm(page) {
    await goto(page, '/sign-in')
    const email = await expectField(page, 'Email address', 'email')
    const password = await expectField(page, 'Password', 'password')
    const csrf = page.locator('input[type="hidden"][name="csrf_token"]')
    if ((await csrf.count()) !== 1) fail('/sign-in: expected one hidden input name="csrf_token"')
    if (!(await csrf.getAttribute('value'))) fail('/sign-in: the csrf_token input has no value')
    const submit = page.getByRole('button', { name: 'Sign in', exact: true })
    if ((await submit.count()) !== 1) fail('/sign-in: expected one "Sign in" button')
    return { email, password, submit }
  }

  // Sign in with a demo account (no second factor) and check it worked.
  async function signIn(page, email, password = DEMO_PASSWORD) {
    const form = await signInForm(page)
    await form.email.fill(email)
    await form.password.fill(password)
    const status = await clickAndWait(page, form.submit, `signing in as ${email}`)
    if (pathOf(page).startsWith('/sign-in') || status !== 200) {
      const summary = await page.locator('.govuk-error-summary').first().innerText().catch(() => '')
      fail(`signing in as ${email}: got ${pathOf(page)} (HTTP ${status})${summary ? ` with error summary "${norm(summary)}"` : ''}`)
    }
    log(`signed in as ${email}, on ${pathOf(page)}`)
  }

  // Sign out with the header's "Sign out" button and check a signed-in page now
  // sends us to the sign-in page.
  async function signOut(page) {
    const status = await clickAndWait(page, await button(page, 'Sign out'), 'signing out')
    expectStatus(page, status, 200, 'signing out')
    await goto(page, '/home')
    if (pathOf(page) !== '/sign-in') fail(`after signing out, /home went to ${pathOf(page)}, expected /sign-in`)
    log('signed out')
  }

  // Run a journey: launch Chromium, run steps(browser), take a screenshot of the
  // failing page if a step fails, print the summary and exit.
  async function run(steps) {
    if (!BASE) {
      console.error(`${name}: FAILED: set SAFEGUARD_URL, e.g. http://127.0.0.1:8099`)
      process.exit(2)
    }
    origin = new URL(BASE).origin

    const watchdog = setTimeout(() => {
      console.error(`${name}: FAILED: did not finish within ${timeoutMs / 1000} s`)
      process.exit(1)
    }, timeoutMs)
    watchdog.unref()

    try {
      await mkdir(SCREENSHOT_DIR, { recursive: true })
      log(`${BASE}, chromium ${CHROMIUM_BIN}, screenshots in ${shown(SCREENSHOT_DIR)}`)
      const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: CHROMIUM_ARGS })
      try {
        await steps(browser)
      } catch (err) {
        if (currentPage && !currentPage.isClosed()) {
          const file = path.join(SCREENSHOT_DIR, `${screenshotPrefix}failure.png`)
          await currentPage.screenshot({ path: file, fullPage: true }).then(
            () => console.error(`${name}: screenshot of the failing page: ${shown(file)}`),
            () => {},
          )
        }
        throw err
      } finally {
        await browser.close()
      }
    } catch (err) {
      const message = err instanceof JourneyFailure ? err.message : err.stack || String(err)
      console.error(`${name}: FAILED: ${message}`)
      for (const p of problemLines()) console.error(`${name}: also: ${p}`)
      console.error(`${name}: ${state.pages} pages, ${state.axeViolations} axe violations (stopped early)`)
      process.exit(1)
    }

    for (const p of problemLines()) console.error(`${name}: problem: ${p}`)
    console.log(`${name}: ${state.pages} pages, ${state.axeViolations} axe violations`)
    if (state.axeViolations > 0 || state.problems.size > 0) {
      console.error(`${name}: FAILED: ${state.axeViolations} axe violation(s), ${state.problems.size} other problem(s)`)
      process.exit(1)
    }
  }

  return {
    state,
    log,
    problem,
    instrument,
    newPage,
    goto,
    clickAndWait,
    checkFrontendLoaded,
    checkPage,
    signInForm,
    signIn,
    signOut,
    run,
  }
}
