// End-to-end browser test of a case after the front door, in the demo area:
//   1. the demo social worker opens Bobby Casebrook (allocated to them, case at
//      "Strategy discussion") from "Your work";
//   2. records section 47 enquiries started (the initial conference clock starts),
//      then that they found a continuing risk of significant harm;
//   3. tries to record the initial conference dated before the last step (refused,
//      HTTP 400), then records it;
//   4. tries to start the child protection plan without its category (refused,
//      HTTP 400), then starts it with "Neglect": the case is now "Child protection
//      plan", with the first core group and first review conference clocks, and the
//      chronology says so;
//   5. the demo teacher, who has no legitimate relationship with Bobby, is refused
//      his record (HTTP 403).
// Every step is dated on the last step's date (read from the "Steps" table): a
// working day by construction, never in the future, so the run does not depend on
// the day it runs (CI may run at a weekend).
// Every page is checked with axe-core (WCAG 2.2 AA rule set) and screenshotted
// (tests/browser/screenshots/case-NN-*.png).
//
//   SAFEGUARD_URL=http://127.0.0.1:8099 node tests/browser/case.mjs
//
// Env: SAFEGUARD_URL (required), SCREENSHOT_DIR, CHROMIUM_BIN; see lib.mjs.
// Usually run through scripts/browser-test.sh, which starts the server with a new
// demo database (the journey changes Bobby's case, so it runs once per database).
// Exit code 0 only if every step passed and axe found no violations.

import {
  UUID,
  createJourney,
  fail,
  norm,
  pathOf,
  expectField,
  expectStatus,
  expectH1,
  button,
  fillDate,
  errorSummaryText,
  tableByCaption,
  tableRows,
} from './lib.mjs'

const SOCIAL_WORKER = 'social.worker@demo.safeguard.test'
const TEACHER = 'teacher@demo.safeguard.test'
const CHILD = 'Bobby Casebrook'
const CHILD_PATH = new RegExp(`^/children/${UUID}$`, 'i')
const STEPS_PATH = new RegExp(`^/children/${UUID}/cases/${UUID}/steps$`, 'i')

const S47_STARTED = 'Section 47 enquiries started'
const S47_RISK = 'Section 47 enquiries found continuing risk of significant harm'
const ICPC_HELD = 'Initial child protection conference held'
const PLAN_STARTED = 'Child protection plan started'
const CORE_GROUP_MET = 'Core group met'
const CATEGORY_LABEL = 'Category of abuse (when a conference makes or continues a plan)'
const CATEGORIES = ['NEG', 'PHY', 'SAB', 'EMO', 'MUL']

const { log, problem, newPage, goto, clickAndWait, checkPage, signIn, signOut, run } = createJourney(
  'browser case journey',
  { screenshotPrefix: 'case-', timeoutMs: 240_000 },
)

// ---------------------------------------------------------------------------
// Dates as the service shows them: "18 November 2026".

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const LONG_DATE = /^(\d{1,2}) ([A-Z][a-z]+) (\d{4})$/

// A long date as a UTC midnight Date.
function parseLongDate(text, what) {
  const m = LONG_DATE.exec(text)
  const month = m ? MONTHS.indexOf(m[2]) : -1
  if (!m || month < 0) fail(`${what}: "${text}" is not a date like "18 November 2026"`)
  return new Date(Date.UTC(Number(m[3]), month, Number(m[1])))
}

const longDate = (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`
const dateParts = (d) => ({ day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) })
const daysBefore = (d, n) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - n))

// ---------------------------------------------------------------------------
// The case section of a child's record.

async function caseHeading(page) {
  const h2 = page.locator('main h2#case')
  const n = await h2.count()
  if (n !== 1) fail(`${pathOf(page)}: expected one case heading (h2#case), found ${n}`)
  return norm(await h2.innerText())
}

async function expectCaseHeading(page, prefix) {
  const heading = await caseHeading(page)
  if (!heading.startsWith(prefix)) fail(`${pathOf(page)}: the case heading is "${heading}", expected it to start "${prefix}"`)
  return heading
}

// The "Steps" table's rows as { date (Date), dateText, step, note }, oldest first.
async function steps(page) {
  const rows = await tableRows(await tableByCaption(page, 'Steps'))
  if (rows.length === 0) fail(`${pathOf(page)}: the "Steps" table has no rows`)
  return rows.map(([dateText, step, note], i) => ({
    date: parseLongDate(dateText, `${pathOf(page)}: "Steps" row ${i + 1}`),
    dateText,
    step,
    note: note ?? '',
  }))
}

async function lastStep(page) {
  return (await steps(page)).at(-1)
}

// The "Statutory clocks" rows as { what, due, status }; none if there is no table.
async function clocks(page) {
  const table = await tableByCaption(page, 'Statutory clocks', { optional: true })
  if (!table) return []
  return (await tableRows(table)).map(([what, due, status]) => ({ what, due, status }))
}

// A clock, by the start of its "What" (the label; the rule code follows it), with a due date.
async function expectClock(page, label) {
  const all = await clocks(page)
  const clock = all.find((c) => c.what === label || c.what.startsWith(`${label} (`))
  if (!clock) {
    fail(`${pathOf(page)}: the "Statutory clocks" table has no "${label}" (it has: ${all.map((c) => `"${c.what}"`).join(', ') || 'no table'})`)
  }
  parseLongDate(clock.due, `${pathOf(page)}: the due date of "${label}"`)
  log(`clock: ${clock.what}, due ${clock.due}, ${clock.status}`)
  return clock
}

// The "Record the next step" form and its fields.
async function stepForm(page, childId) {
  const heading = page.locator('h3').filter({ hasText: /^\s*Record the next step\s*$/ })
  if ((await page.locator('main').locator(heading).count()) !== 1) fail(`${pathOf(page)}: no "Record the next step" heading`)
  const form = page.locator('main form').filter({ has: heading })
  if ((await form.count()) !== 1) fail(`${pathOf(page)}: the "Record the next step" heading is not in one <form>`)
  const action = await form.getAttribute('action')
  const method = (await form.getAttribute('method')) ?? ''
  if (!STEPS_PATH.test(action ?? '') || !action.startsWith(`/children/${childId}/cases/`) || method.toLowerCase() !== 'post') {
    fail(`${pathOf(page)}: the step form is ${method} ${action}, expected POST /children/${childId}/cases/{case}/steps`)
  }
  if ((await form.getByRole('group', { name: 'When', exact: true }).count()) !== 1) {
    fail(`${pathOf(page)}: the step form has no date fieldset "When"`)
  }
  return {
    action,
    event: await expectField(page, 'What happened', 'event'),
    category: await expectField(page, CATEGORY_LABEL, 'category'),
    note: await expectField(page, 'Note', 'note'),
    submit: await button(page, 'Record the step'),
  }
}

// The labels of the "What happened" options, without the "Select" placeholder.
async function eventOptions(form) {
  const options = []
  for (const option of await form.event.locator('option').all()) {
    if (await option.getAttribute('value')) options.push(norm(await option.innerText()))
  }
  return options
}

async function expectEventOptions(page, form, { present = [], absent = [] }) {
  const options = await eventOptions(form)
  const missing = present.filter((o) => !options.includes(o))
  const extra = absent.filter((o) => options.includes(o))
  if (missing.length || extra.length) {
    fail(
      `${pathOf(page)}: "What happened" offers ${options.map((o) => `"${o}"`).join(', ')}` +
        (missing.length ? `; missing ${missing.map((o) => `"${o}"`).join(', ')}` : '') +
        (extra.length ? `; should not offer ${extra.map((o) => `"${o}"`).join(', ')} yet` : ''),
    )
  }
  return options
}

// Fill in and send the step form; returns the HTTP status of the page it loads.
async function submitStep(page, childId, { event, on, category = '', note = '' }) {
  const form = await stepForm(page, childId)
  await expectEventOptions(page, form, { present: [event] })
  await form.event.selectOption({ label: event })
  await fillDate(page, 'on', dateParts(on))
  if (category) {
    await form.category.selectOption({ label: category })
  } else {
    await form.category.selectOption('')
  }
  await form.note.fill(note)
  return clickAndWait(page, form.submit, `recording "${event}" on ${longDate(on)}`)
}

// Record a step that should be accepted: back on the record at #case, with the step
// as the last row of "Steps".
async function recordStep(page, childId, step) {
  const status = await submitStep(page, childId, step)
  const url = new URL(page.url())
  if (url.pathname !== `/children/${childId}` || status !== 200) {
    const errors = await errorSummaryText(page)
    fail(`recording "${step.event}" went to ${url.pathname} (HTTP ${status}), expected /children/${childId}${errors ? `; errors: "${errors}"` : ''}`)
  }
  if (url.hash !== '#case') problem(`after recording a step the page is ${url.pathname}${url.hash}, expected the #case fragment`, page.url())
  const last = await lastStep(page)
  const expected = step.category ? `${step.event} (${step.category})` : step.event
  if (last.step !== expected || last.dateText !== longDate(step.on)) {
    fail(`${pathOf(page)}: the last step is "${last.step}" on ${last.dateText}, expected "${expected}" on ${longDate(step.on)}`)
  }
  if (step.note && last.note !== norm(step.note)) fail(`${pathOf(page)}: the last step's note is "${last.note}", expected "${step.note}"`)
  const heading = await caseHeading(page)
  log(`recorded "${expected}" on ${last.dateText}; now "${heading}"`)
  return heading
}

// Record a step that should be refused: HTTP 400, the form again, with one error
// linking to its field, and the steps unchanged.
async function refusedStep(page, childId, step, { message, field, stepsBefore }) {
  const status = await submitStep(page, childId, step)
  const where = pathOf(page)
  if (!STEPS_PATH.test(where)) fail(`an invalid "${step.event}" went to ${where} (HTTP ${status}), expected to stay on the step form's page`)
  expectStatus(page, status, 400, `recording an invalid "${step.event}"`)
  const summary = await errorSummaryText(page)
  if (!summary) fail(`${where}: an invalid "${step.event}" gave no .govuk-error-summary`)
  if (!summary.includes(message)) fail(`${where}: the error summary says "${summary}", expected it to mention "${message}"`)
  const errorLink = page.locator('.govuk-error-summary a').filter({ hasText: message })
  if ((await errorLink.count()) !== 1) {
    fail(`${where}: the error summary has no single link mentioning "${message}"`)
  } else if ((await errorLink.getAttribute('href')) !== `#${field}`) {
    problem(`the error "${message}" links to ${await errorLink.getAttribute('href')}, expected #${field}`, page.url())
  } else if ((await page.locator(`#${field}`).count()) !== 1) {
    problem(`the error "${message}" links to #${field}, which is not on the page`, page.url())
  }
  const title = await page.title()
  if (!title.startsWith('Error: ')) problem(`page title "${title}" of a form with errors does not start with "Error: "`, page.url())
  await expectH1(page, CHILD)
  const form = await stepForm(page, childId)
  const kept = norm(await form.event.locator('option:checked').textContent())
  if (kept !== step.event) problem(`after an error, "What happened" is "${kept}", expected the answer "${step.event}" to be kept`, page.url())
  const after = await steps(page)
  if (after.length !== stepsBefore) fail(`${where}: a refused step changed the "Steps" table (${stepsBefore} rows before, ${after.length} after)`)
  log(`refused "${step.event}" on ${longDate(step.on)}: HTTP ${status}, "${summary}"`)
}

// ---------------------------------------------------------------------------

async function journey(browser) {
  const page = await newPage(browser)

  // 1. Your work: Bobby is allocated to the social worker.
  await signIn(page, SOCIAL_WORKER)
  if (pathOf(page) !== '/home') fail(`signing in went to ${pathOf(page)}, expected /home`)
  await expectH1(page, 'Your work')
  const links = page.locator('main a[href^="/children/"]').filter({ hasText: new RegExp(`^\\s*${CHILD}\\s*$`) })
  let childHref = null
  for (const l of await links.all()) {
    const href = await l.getAttribute('href')
    if (CHILD_PATH.test(href ?? '')) {
      childHref = href
      break
    }
  }
  if (!childHref) fail(`/home: no link "${CHILD}" to /children/{uuid}; the demo social worker should have ${CHILD} allocated`)
  const childId = childHref.split('/').at(-1)
  const status = await clickAndWait(page, page.locator(`main a[href="${childHref}"]`).first(), `opening "${CHILD}"`)
  expectStatus(page, status, 200, `opening "${CHILD}"`)
  if (pathOf(page) !== childHref) fail(`"${CHILD}" went to ${pathOf(page)}, expected ${childHref}`)

  // 2. Bobby's record: the case at "Strategy discussion".
  await expectH1(page, CHILD)
  await expectCaseHeading(page, 'Case: Strategy discussion')
  const first = await lastStep(page)
  const on = first.date
  log(`${CHILD} (${childHref}): last step "${first.step}" on ${first.dateText}; every step is dated ${longDate(on)}`)
  let form = await stepForm(page, childId)
  await expectEventOptions(page, form, { present: [S47_STARTED], absent: [ICPC_HELD, PLAN_STARTED, CORE_GROUP_MET] })
  const categories = []
  for (const option of await form.category.locator('option').all()) {
    const value = await option.getAttribute('value')
    if (value) categories.push(value)
  }
  const missingCategories = CATEGORIES.filter((c) => !categories.includes(c))
  if (missingCategories.length) fail(`${pathOf(page)}: the category list lacks ${missingCategories.join(', ')} (it has ${categories.join(', ')})`)
  if ((await form.category.locator('option', { hasText: /^\s*Neglect\s*$/ }).getAttribute('value')) !== 'NEG') {
    fail(`${pathOf(page)}: the category "Neglect" does not have the value NEG`)
  }
  await checkPage(page, 'strategy-discussion', 'child record, strategy discussion')

  // 3. Section 47 enquiries started: the initial conference clock starts.
  await recordStep(page, childId, { event: S47_STARTED, on, note: 'Strategy discussion agreed section 47 enquiries (browser test).' })
  await expectClock(page, 'Initial child protection conference')
  await checkPage(page, 's47-started', 'child record, section 47 enquiries started')

  // 4. The enquiries found a continuing risk of significant harm.
  await recordStep(page, childId, { event: S47_RISK, on, note: 'Enquiries found continuing risk; conference to be convened.' })
  form = await stepForm(page, childId)
  await expectEventOptions(page, form, { present: [ICPC_HELD], absent: [PLAN_STARTED, CORE_GROUP_MET] })
  await checkPage(page, 's47-risk', 'child record, continuing risk found')

  // 5. The conference dated before the last step: refused.
  const before = await steps(page)
  await refusedStep(
    page,
    childId,
    { event: ICPC_HELD, on: daysBefore(on, 1), note: 'Dated before the last step on purpose.' },
    { message: `on or after the last step (${longDate(on)})`, field: 'on-day', stepsBefore: before.length },
  )
  await checkPage(page, 'error-date-before-last-step', 'step form error, date before the last step')

  // 6. The conference, on the right day.
  await recordStep(page, childId, { event: ICPC_HELD, on, note: 'Attended: social worker, class teacher, health visitor. Plan needed.' })
  form = await stepForm(page, childId)
  await expectEventOptions(page, form, { present: [PLAN_STARTED] })
  await checkPage(page, 'icpc-held', 'child record, initial conference held')

  // 7. The plan without the category the conference set: refused.
  await refusedStep(
    page,
    childId,
    { event: PLAN_STARTED, on, note: 'No category on purpose.' },
    { message: 'Select the category of abuse the conference set', field: 'category', stepsBefore: before.length + 1 },
  )
  await checkPage(page, 'error-no-category', 'step form error, plan without a category')

  // 8. The plan, category Neglect.
  const heading = await recordStep(page, childId, { event: PLAN_STARTED, on, category: 'Neglect', note: 'Plan agreed at the conference.' })
  if (!heading.startsWith('Case: Child protection plan')) fail(`${pathOf(page)}: after the plan started the case heading is "${heading}", expected "Case: Child protection plan"`)
  await expectClock(page, 'First core group meeting')
  await expectClock(page, 'First review conference')
  form = await stepForm(page, childId)
  await expectEventOptions(page, form, { present: [CORE_GROUP_MET], absent: [PLAN_STARTED] })
  const chronology = (await tableRows(await tableByCaption(page, /^\s*Chronology\b/))).map((cells) => cells.join(' | '))
  const planLine = 'Child protection plan started (category: Neglect)'
  if (!chronology.some((row) => row.includes(planLine))) {
    fail(`${pathOf(page)}: the chronology has no "${planLine}" (it has: ${chronology.map((r) => `"${r}"`).join(', ')})`)
  }
  for (const line of [S47_STARTED, S47_RISK, ICPC_HELD]) {
    if (!chronology.some((row) => row.includes(line))) problem(`the chronology has no "${line}"`, page.url())
  }
  await checkPage(page, 'cp-plan', 'child record, child protection plan')

  // 9. The teacher has no legitimate relationship with Bobby: refused.
  await signOut(page)
  await signIn(page, TEACHER)
  await goto(page, childHref, { status: 403 })
  if (pathOf(page) !== childHref) fail(`GET ${childHref} as the teacher went to ${pathOf(page)}`)
  const refusal = norm(await page.locator('main').innerText())
  if (!refusal.toLowerCase().includes('no legitimate relationship')) fail(`${childHref} as the teacher: HTTP 403 but the page says "${refusal.slice(0, 300)}", expected "no legitimate relationship"`)
  for (const leak of ['Casebrook', 'Child protection plan', 'Neglect']) {
    if (norm(await page.locator('body').innerText()).includes(leak)) fail(`${childHref} as the teacher: the refusal page shows "${leak}"`)
  }
  log(`teacher refused ${childHref}: HTTP 403, "${refusal.slice(0, 160)}"`)
  await checkPage(page, 'forbidden', 'child record refused to the teacher')
  await page.context().close()
}

await run(journey)
