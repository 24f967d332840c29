// End-to-end browser test of early help and looked-after episodes, in the demo area:
//   1. the demo social worker opens Aisha Casebrook (case at "Child and family
//      assessment") and starts a looked-after episode from the case: an empty form is
//      refused naming every field; then an interim care order (C1) in foster care starts
//      it, the case moves to "Looked after", and the record shows the placement and the
//      T13 review clock ("First looked-after child review");
//   2. opens Felix Casebrook (assessment closed RC9, "referred to early help"): the
//      record offers the step down; the form starts the episode led by the school's DSL,
//      the episode page shows its local clock (EH1), and the child's record shows the
//      early help episode with its timescales and the chronology an "Episode" line;
//   3. the DSL sees the episode under "Early help you lead" and opens it.
// Steps are dated on the case's last step (read from the "Steps" table), a working day
// that is never in the future. Every page is checked with axe-core and screenshotted
// (tests/browser/screenshots/episodes-NN-*.png).
//
//   SAFEGUARD_URL=http://127.0.0.1:8099 node tests/browser/episodes.mjs
//
// Usually run through scripts/browser-test.sh, with a new demo database.

import {
  createJourney,
  fail,
  norm,
  pathOf,
  expectStatus,
  expectH1,
  button,
  link,
  fillDate,
  errorSummaryText,
  tableByCaption,
  tableRows,
} from './lib.mjs'

const SOCIAL_WORKER = 'social.worker@demo.safeguard.test'
const DSL = 'dsl@demo.safeguard.test'

const { log, newPage, goto, clickAndWait, checkPage, signIn, signOut, run } = createJourney('browser episodes journey', {
  screenshotPrefix: 'episodes-',
  timeoutMs: 240_000,
})

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

// The last step's date on the child's record, as date-input parts.
async function lastStepDate(page) {
  const rows = await tableRows(await tableByCaption(page, 'Steps'))
  const text = rows.at(-1)?.[0] ?? ''
  const m = /^(\d{1,2}) ([A-Z][a-z]+) (\d{4})$/.exec(text)
  if (!m) fail(`${pathOf(page)}: the last step's date "${text}" is not a date`)
  return { day: m[1], month: String(MONTHS.indexOf(m[2]) + 1), year: m[3], text }
}

async function openChild(page, name) {
  // "Your work" links a child from the due list and the allocated list: either will do.
  const l = page.locator('main a[href^="/children/"]').filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) }).first()
  if ((await l.count()) === 0) fail(`${pathOf(page)}: no link "${name}"`)
  const status = await clickAndWait(page, l, `opening "${name}"`)
  expectStatus(page, status, 200, `opening "${name}"`)
  await expectH1(page, name)
}

async function selectByValue(page, name, value) {
  const s = page.locator(`select[name="${name}"]`)
  if ((await s.count()) !== 1) fail(`${pathOf(page)}: no <select name="${name}">`)
  await s.selectOption(value)
}

async function journey(browser) {
  const page = await newPage(browser)

  // 1. A looked-after episode from Aisha's case.
  await signIn(page, SOCIAL_WORKER)
  await openChild(page, 'Aisha Casebrook')
  const on = await lastStepDate(page)
  await checkPage(page, 'aisha', 'child record before the episode')
  let status = await clickAndWait(page, await link(page, 'Start a looked-after episode'), 'starting a looked-after episode')
  expectStatus(page, status, 200, 'the looked-after form')
  await expectH1(page, 'Start a looked-after episode')
  await checkPage(page, 'lac-form', 'looked-after start form')
  status = await clickAndWait(page, await button(page, 'Save'), 'saving an empty form')
  expectStatus(page, status, 400, 'an empty looked-after form')
  const errors = await errorSummaryText(page)
  for (const expected of ['Enter the date', 'Select the category of need', 'Select the legal status', 'Select the placement type']) {
    if (!errors.includes(expected)) fail(`${pathOf(page)}: the error summary "${errors}" does not say "${expected}"`)
  }
  await checkPage(page, 'lac-form-errors', 'looked-after form with errors')
  await fillDate(page, 'start_date', on)
  await selectByValue(page, 'need', 'N1')
  await selectByValue(page, 'legal_status', 'C1')
  await selectByValue(page, 'place', 'U4')
  await selectByValue(page, 'provider', 'PR1')
  await page.locator('input[name="postcode"]').fill('NM2 3CD')
  status = await clickAndWait(page, await button(page, 'Save'), 'starting the episode')
  if (status !== 200 || new URL(page.url()).hash !== '#looked-after') {
    fail(`starting the episode went to ${page.url()} (HTTP ${status}): ${await errorSummaryText(page)}`)
  }
  const caseHeading = norm(await page.locator('main h2#case').innerText())
  if (caseHeading !== 'Case: Looked after') fail(`the case heading is "${caseHeading}", expected "Case: Looked after"`)
  const periods = await tableRows(await tableByCaption(page, 'Legal status and placements'))
  if (!periods[0]?.[2]?.startsWith('C1')) fail(`the placements table starts ${JSON.stringify(periods[0])}, expected C1`)
  const reviews = await tableRows(await tableByCaption(page, 'Reviews (T13)'))
  if (!reviews[0]?.[0]?.startsWith('First looked-after child review')) fail(`the T13 table is ${JSON.stringify(reviews)}`)
  log(`Aisha looked after from ${on.text}: first review due ${reviews[0][1]}`)
  await checkPage(page, 'lac-started', 'child record with the looked-after episode')

  // 2. Felix: stepped down to early help after his assessment (RC9).
  await clickAndWait(page, await link(page, 'Your work', 'header, nav'), 'Your work')
  await openChild(page, 'Felix Casebrook')
  const closed = await lastStepDate(page)
  const felixPath = pathOf(page)
  await checkPage(page, 'felix', 'child record closed RC9')
  status = await clickAndWait(page, await link(page, 'Start the early help episode'), 'the step-down offer')
  expectStatus(page, status, 200, 'the early help form')
  await expectH1(page, 'Start an early help episode')
  await checkPage(page, 'eh-form', 'early help start form')
  await fillDate(page, 'start_date', closed)
  const lead = page.locator('select[name="lead"] option').filter({ hasText: /Oakfield/ }).first()
  const leadValue = await lead.getAttribute('value')
  if (!leadValue) fail('the lead practitioner list has nobody from Oakfield')
  await selectByValue(page, 'lead', leadValue)
  await page.locator('textarea[name="reason"]').fill('Routines at home and school mornings')
  status = await clickAndWait(page, await button(page, 'Save'), 'starting early help')
  expectStatus(page, status, 200, 'starting early help')
  if (!/^\/early-help\//.test(pathOf(page))) fail(`starting early help went to ${pathOf(page)}: ${await errorSummaryText(page)}`)
  await expectH1(page, 'Felix Casebrook')
  const eh = await tableRows(await tableByCaption(page, 'Local timescales (EH1, EH2)'))
  if (!eh[0]?.[0]?.startsWith('Early help assessment')) fail(`the episode's clocks are ${JSON.stringify(eh)}`)
  await checkPage(page, 'eh-episode', 'early help episode page')
  await goto(page, felixPath)
  await expectH1(page, 'Felix Casebrook')
  await tableByCaption(page, 'Early help timescales (local: EH1, EH2)')
  const chronology = norm(await page.locator('main').innerText())
  if (!chronology.includes('Early help started (stepped down after a child and family assessment (rc9))')) {
    fail('the chronology has no "Early help started" line for Felix')
  }
  await checkPage(page, 'felix-eh', 'child record with early help')
  await signOut(page)

  // 3. The DSL leads it: it is in their work, and opens.
  await signIn(page, DSL)
  await tableByCaption(page, 'Early help you lead')
  status = await clickAndWait(page, page.locator('main a[href^="/early-help/"]').filter({ hasText: 'Felix Casebrook' }).first(), 'opening the episode they lead')
  expectStatus(page, status, 200, 'the lead opening the episode')
  const reason = norm(await page.locator('main').innerText())
  if (!reason.includes('lead practitioner of this early help episode')) fail('the lead is not told why they see the episode')
  await checkPage(page, 'eh-lead', 'early help episode, as its lead')
}

run(journey)
