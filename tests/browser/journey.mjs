// End-to-end browser test for safeguard: signs in as the demo social worker,
// finds a child and opens the child's record, checking every page with axe-core
// (WCAG 2.2 AA rule set) and taking a full-page screenshot of each.
//
//   SAFEGUARD_URL=http://127.0.0.1:8099 node tests/browser/journey.mjs
//
// Env:
//   SAFEGUARD_URL   base URL of a running `safeguard serve --demo` (required)
//   SCREENSHOT_DIR  where to put screenshots (default tests/browser/screenshots)
//   CHROMIUM_BIN    Chromium executable (default /usr/bin/chromium, Debian's package)
//
// Usually run through scripts/browser-test.sh, which starts the server.
// Exit code 0 only if every step passed and axe found no violations.

import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const BASE = (process.env.SAFEGUARD_URL || '').replace(/\/+$/, '')
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR
  ? path.resolve(process.env.SCREENSHOT_DIR)
  : path.join(REPO_ROOT, 'tests', 'browser', 'screenshots')
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
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

const DEMO_EMAIL = 'social.worker@demo.safeguard.test'
const DEMO_PASSWORD = 'demo-password-not-secret'
const SIGN_IN_ERROR =
  'The email address or password is not right, or the account is locked. Try again or ask your administrator.'
// Phrases that would tell an attacker which part of the credentials was wrong.
const ENUMERATION_LEAKS = [
  /password (is|was) (wrong|incorrect|invalid)/i,
  /incorrect password/i,
  /wrong password/i,
  /unknown email/i,
  /email (address )?(is )?not (found|registered|recognised|recognized)/i,
  /no account/i,
  /(user|account) (does not|doesn't) exist/i,
]
const UUID_PATH = /^\/children\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const STEP_TIMEOUT_MS = 15_000
const OVERALL_TIMEOUT_MS = 180_000

class JourneyFailure extends Error {}

function fail(message) {
  throw new JourneyFailure(message)
}

const shown = (file) => (file.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, file) : file)
const norm = (s) => (s ?? '').replace(/\s+/g, ' ').trim()

const state = {
  pages: 0,
  axeViolations: 0, // violation rules summed over pages
  problems: new Map(), // non-fatal problems found along the way: message -> pages it happened on
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

function log(message) {
  console.log(`browser journey: ${message}`)
}

// ---------------------------------------------------------------------------

if (!BASE) {
  console.error('browser journey: FAILED: set SAFEGUARD_URL, e.g. http://127.0.0.1:8099')
  process.exit(2)
}
const ORIGIN = new URL(BASE).origin

const watchdog = setTimeout(() => {
  console.error(`browser journey: FAILED: did not finish within ${OVERALL_TIMEOUT_MS / 1000} s`)
  process.exit(1)
}, OVERALL_TIMEOUT_MS)
watchdog.unref()

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
    if (new URL(url).origin !== ORIGIN) {
      problem(`request to another origin: ${req.method()} ${url}`, page.url())
    }
  })
  page.on('response', (resp) => {
    const req = resp.request()
    if (req.resourceType() === 'document') return // checked by the steps themselves
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
  return page
}

async function goto(page, pathname) {
  const resp = await page.goto(BASE + pathname, { waitUntil: 'load' })
  if (!resp) fail(`GET ${pathname}: no response`)
  if (resp.status() !== 200) fail(`GET ${pathname}: HTTP ${resp.status()}, expected 200`)
  return resp
}

// Click something that submits a form or follows a link, and wait for the new
// document to load.
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
}

function pathOf(page) {
  return new URL(page.url()).pathname
}

async function h1Text(page) {
  const h1 = page.locator('h1')
  const n = await h1.count()
  if (n !== 1) fail(`${pathOf(page)}: expected exactly one <h1>, found ${n}`)
  return norm(await h1.innerText())
}

async function expectField(page, label, name) {
  const field = page.getByLabel(label, { exact: true })
  const n = await field.count()
  if (n !== 1) fail(`${pathOf(page)}: expected one field labelled "${label}", found ${n}`)
  const actual = await field.getAttribute('name')
  if (actual !== name) fail(`${pathOf(page)}: field labelled "${label}" has name="${actual}", expected "${name}"`)
  return field
}

async function expectNamedInput(page, name) {
  const n = await page.locator(`input[name="${name}"]`).count()
  if (n !== 1) fail(`${pathOf(page)}: expected one <input name="${name}">, found ${n}`)
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
  const file = path.join(SCREENSHOT_DIR, `${n}-${slug}.png`)
  await page.screenshot({ path: file, fullPage: true })

  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()
  const v = results.violations
  state.axeViolations += v.length
  if (v.length === 0) {
    log(`page ${n} ${label} (${pathOf(page)}): ok, 0 axe violations, ${shown(file)}`)
    return
  }
  console.log(`browser journey: page ${n} ${label} (${page.url()}): ${v.length} axe violation(s):`)
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

async function expectErrorSummary(page, label) {
  const summary = page.locator('.govuk-error-summary')
  if ((await summary.count()) === 0) {
    fail(`${label}: no .govuk-error-summary after a failed sign-in (on ${pathOf(page)}, h1 "${await page.locator('h1').first().innerText().catch(() => '')}")`)
  }
  const text = norm(await summary.first().innerText())
  if (!text.includes(SIGN_IN_ERROR)) {
    fail(`${label}: error summary says "${text}", expected it to contain "${SIGN_IN_ERROR}"`)
  }
  for (const leak of ENUMERATION_LEAKS) {
    if (leak.test(text)) fail(`${label}: error summary reveals which part was wrong (${leak}): "${text}"`)
  }
  const pageText = norm(await page.locator('body').innerText())
  for (const leak of ENUMERATION_LEAKS) {
    if (leak.test(pageText)) fail(`${label}: page reveals which part was wrong (${leak})`)
  }
  const password = page.locator('input[name="password"]')
  if ((await password.count()) === 1 && (await password.inputValue()) !== '') {
    fail(`${label}: the password field was re-filled after a failed sign-in; it must be left empty`)
  }
  return text
}

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

// ---------------------------------------------------------------------------

async function main() {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  log(`${BASE}, chromium ${CHROMIUM_BIN}, screenshots in ${shown(SCREENSHOT_DIR)}`)
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: CHROMIUM_ARGS })
  let page
  try {
    page = await newPage(browser)

    // 1. Sign-in page.
    let form = await signInForm(page)
    await checkPage(page, 'sign-in', 'sign in')

    // 2. Sign in as the demo social worker; demo accounts have no second factor.
    await form.email.fill(DEMO_EMAIL)
    await form.password.fill(DEMO_PASSWORD)
    await clickAndWait(page, form.submit, 'signing in')
    if (pathOf(page) !== '/home') {
      const summary = await page.locator('.govuk-error-summary').first().innerText().catch(() => '')
      fail(`after signing in expected /home, got ${pathOf(page)}${summary ? ` with error summary "${norm(summary)}"` : ''}`)
    }
    const homeH1 = await h1Text(page)
    if (homeH1 !== 'Your work') fail(`/home: h1 is "${homeH1}", expected "Your work"`)
    await checkPage(page, 'home', 'home')

    // 3. The first allocated child.
    const childLinks = page.locator('main a[href^="/children/"]')
    let childHref = null
    let childName = null
    for (const link of await childLinks.all()) {
      const href = await link.getAttribute('href')
      if (UUID_PATH.test(href)) {
        childHref = href
        childName = norm(await link.innerText())
        break
      }
    }
    if (!childHref) fail('/home: no link to /children/{uuid}; the demo social worker should have allocated children')
    if (!childName) fail(`/home: the link to ${childHref} has no text`)
    const surname = childName.split(' ').at(-1)
    log(`first allocated child on /home: "${childName}" (${childHref}); searching for "${surname}"`)

    // 4. Find a child, from the service navigation.
    const findLink = page.getByRole('link', { name: 'Find a child', exact: true }).first()
    if ((await findLink.count()) === 0) fail('/home: no "Find a child" link')
    const findHref = await findLink.getAttribute('href')
    if (findHref !== '/children/search') fail(`/home: "Find a child" links to ${findHref}, expected /children/search`)
    await clickAndWait(page, findLink, 'following "Find a child"')
    if (pathOf(page) !== '/children/search') fail(`"Find a child" went to ${pathOf(page)}`)
    const nameField = await expectField(page, 'Name', 'name')
    for (const name of ['nhs_number', 'postcode', 'dob-day', 'dob-month', 'dob-year']) {
      await expectNamedInput(page, name)
    }
    await checkPage(page, 'find-a-child', 'find a child')

    // 5. Search by surname.
    await nameField.fill(surname)
    const searchButton = page.getByRole('button', { name: 'Search', exact: true })
    if ((await searchButton.count()) !== 1) fail('/children/search: expected one "Search" button')
    await clickAndWait(page, searchButton, 'searching')
    const searchUrl = new URL(page.url())
    if (searchUrl.pathname !== '/children/search') fail(`search went to ${searchUrl.pathname}, expected /children/search`)
    if (searchUrl.searchParams.get('name') !== surname) {
      fail(`search URL ${searchUrl.pathname}${searchUrl.search} lacks name=${surname} (the form should be GET)`)
    }
    const resultLinks = page.locator('main table tbody tr td:first-child a, main table tbody tr th:first-child a')
    const results = []
    for (const link of await resultLinks.all()) {
      results.push({ link, href: await link.getAttribute('href'), text: norm(await link.innerText()) })
    }
    if (results.length === 0) {
      const body = norm(await page.locator('main').innerText()).slice(0, 300)
      fail(`searching for "${surname}": no results table with links in its first column (main says: "${body}")`)
    }
    const hit = results.find((r) => r.href === childHref) ?? results.find((r) => r.text === childName)
    if (!hit) {
      fail(`searching for "${surname}": "${childName}" not among the ${results.length} result(s): ${results.map((r) => `"${r.text}"`).join(', ')}`)
    }
    if (!UUID_PATH.test(hit.href)) fail(`search result "${hit.text}" links to ${hit.href}, expected /children/{uuid}`)
    log(`search for "${surname}": ${results.length} result(s), including "${hit.text}"`)
    await checkPage(page, 'search-results', 'search results')

    // 6. The child's record.
    await clickAndWait(page, hit.link, `opening "${hit.text}"`)
    if (pathOf(page) !== hit.href) fail(`clicking "${hit.text}" went to ${pathOf(page)}, expected ${hit.href}`)
    const childH1 = await h1Text(page)
    if (childH1 !== hit.text) fail(`${pathOf(page)}: h1 is "${childH1}", expected "${hit.text}"`)
    const h2s = (await page.locator('h2').allInnerTexts()).map(norm)
    const missing = ['Summary', 'People', 'Agencies involved', 'Chronology'].filter((h) => !h2s.includes(h))
    if (missing.length > 0) {
      fail(`${pathOf(page)}: missing h2 ${missing.map((m) => `"${m}"`).join(', ')} (found: ${h2s.map((h) => `"${h}"`).join(', ')})`)
    }
    await checkPage(page, 'child-record', 'child record')
    await page.context().close()

    // 7. Failed sign-ins, in a fresh (signed-out) browser context: a wrong password
    //    and an unknown email must give the same generic message.
    page = await newPage(browser)
    form = await signInForm(page)
    await form.email.fill(DEMO_EMAIL)
    await form.password.fill('not-the-demo-password')
    await clickAndWait(page, form.submit, 'signing in with a wrong password')
    if (pathOf(page) === '/home') fail('signing in with a wrong password reached /home')
    const wrongPassword = await expectErrorSummary(page, 'wrong password')
    await checkPage(page, 'sign-in-wrong-password', 'sign in, wrong password')

    form = await signInForm(page)
    await form.email.fill('nobody@demo.safeguard.test')
    await form.password.fill('not-the-demo-password')
    await clickAndWait(page, form.submit, 'signing in with an unknown email')
    if (pathOf(page) === '/home') fail('signing in with an unknown email reached /home')
    const unknownEmail = await expectErrorSummary(page, 'unknown email')
    if (unknownEmail !== wrongPassword) {
      fail(`failed sign-ins differ (user enumeration): wrong password gives "${wrongPassword}", unknown email gives "${unknownEmail}"`)
    }
    await checkPage(page, 'sign-in-unknown-email', 'sign in, unknown email')
    await page.context().close()
    page = null
  } catch (err) {
    if (page) {
      const file = path.join(SCREENSHOT_DIR, 'failure.png')
      await page.screenshot({ path: file, fullPage: true }).then(
        () => console.error(`browser journey: screenshot of the failing page: ${shown(file)}`),
        () => {},
      )
    }
    throw err
  } finally {
    await browser.close()
  }
}

try {
  await main()
} catch (err) {
  const message = err instanceof JourneyFailure ? err.message : err.stack || String(err)
  console.error(`browser journey: FAILED: ${message}`)
  for (const p of problemLines()) console.error(`browser journey: also: ${p}`)
  console.error(`browser journey: ${state.pages} pages, ${state.axeViolations} axe violations (stopped early)`)
  process.exit(1)
}

for (const p of problemLines()) console.error(`browser journey: problem: ${p}`)
console.log(`browser journey: ${state.pages} pages, ${state.axeViolations} axe violations`)
if (state.axeViolations > 0 || state.problems.size > 0) {
  console.error(
    `browser journey: FAILED: ${state.axeViolations} axe violation(s), ${state.problems.size} other problem(s)`,
  )
  process.exit(1)
}
