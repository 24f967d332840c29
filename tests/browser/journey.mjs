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
// The helpers (instrumentation, axe checks, screenshots) are in lib.mjs.
// Exit code 0 only if every step passed and axe found no violations.

import {
  UUID,
  DEMO_PASSWORD,
  createJourney,
  fail,
  norm,
  pathOf,
  h1Text,
  expectField,
  expectNamedInput,
} from './lib.mjs'

const DEMO_EMAIL = 'social.worker@demo.safeguard.test'
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
const UUID_PATH = new RegExp(`^/children/${UUID}$`, 'i')

const { log, newPage, clickAndWait, checkPage, signInForm, run } = createJourney('browser journey', {
  timeoutMs: 180_000,
})

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

// ---------------------------------------------------------------------------

async function steps(browser) {
  let page = await newPage(browser)

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
}

await run(steps)
