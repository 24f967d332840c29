// End-to-end browser test of a case after the front door, in the demo area:
//   1. the demo social worker opens Bobby Casebrook (allocated to them, case at
//      "Strategy discussion") from "Your work";
//   2. records the strategy discussion on its form: an empty form is refused naming
//      every field, "Add another attendee" adds a row with JavaScript off, and the
//      discussion (social care and police, not health) initiates section 47 enquiries
//      with a warning that health was missing; the initial conference clock starts;
//   3. records that the enquiries found a continuing risk of significant harm;
//   4. records the initial conference on its form: refused without the plan's
//      category and when dated before the last step (HTTP 400), then recorded with
//      "Neglect": the case is now "Child protection plan", with the first core group
//      and first review conference clocks, and the chronology says so;
//   5. the chronology filtered to meetings;
//   6. the demo police lead, who took part in the strategy discussion, opens it from
//      their notification, and is refused the child's record (HTTP 403);
//   7. the demo teacher, who has no legitimate relationship with Bobby, is refused
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
  link,
  fillDate,
  errorSummaryText,
  tableByCaption,
  tableRows,
} from './lib.mjs'

const SOCIAL_WORKER = 'social.worker@demo.safeguard.test'
const TEACHER = 'teacher@demo.safeguard.test'
const POLICE = 'police.lead@demo.safeguard.test'
const HEALTH = 'health.lead@demo.safeguard.test'
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

// One attendee row of a strategy discussion or conference form, its agency chosen by the
// kind shown after the name, "Northmoor Police (Police force)".
async function fillAttendee(page, i, { kind, role, name, email = '' }) {
  const select = page.locator(`#attendee-${i}-agency`)
  if ((await select.count()) !== 1) fail(`${pathOf(page)}: no attendee row ${i + 1}`)
  let value = null
  for (const option of await select.locator('option').all()) {
    if (norm(await option.innerText()).endsWith(`(${kind})`)) value = await option.getAttribute('value')
  }
  if (!value) fail(`${pathOf(page)}: attendee ${i + 1}'s agency list has no "${kind}"`)
  await select.selectOption(value)
  await page.locator(`#attendee-${i}-role`).fill(role)
  await page.locator(`#attendee-${i}-name`).fill(name)
  await page.locator(`#attendee-${i}-email`).fill(email)
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
  let status = await clickAndWait(page, page.locator(`main a[href="${childHref}"]`).first(), `opening "${CHILD}"`)
  expectStatus(page, status, 200, `opening "${CHILD}"`)
  if (pathOf(page) !== childHref) fail(`"${CHILD}" went to ${pathOf(page)}, expected ${childHref}`)

  // 2. Bobby's record: the case at "Strategy discussion". Its outcome is recorded on the
  //    strategy discussion form, not the one-line step form.
  await expectH1(page, CHILD)
  await expectCaseHeading(page, 'Case: Strategy discussion')
  const first = await lastStep(page)
  const on = first.date
  log(`${CHILD} (${childHref}): last step "${first.step}" on ${first.dateText}; every step is dated ${longDate(on)}`)
  await expectClock(page, 'Strategy discussion')
  // Every step from a strategy discussion is recorded on its own form (the discussion's,
  // or a looked-after episode's), so the one-line step form is not offered.
  if ((await page.locator('main h3').filter({ hasText: /^\s*Record the next step\s*$/ }).count()) !== 0) {
    fail(`${pathOf(page)}: the one-line step form is offered at "Strategy discussion"`)
  }
  await link(page, 'Record a strategy discussion')
  await link(page, 'Start a looked-after episode')
  await checkPage(page, 'strategy-discussion', 'child record, strategy discussion')

  // 3. The strategy discussion form: nothing filled in is refused, naming every field.
  await clickAndWait(page, await link(page, 'Record a strategy discussion'), 'opening the strategy discussion form')
  await expectH1(page, 'Record a strategy discussion')
  await checkPage(page, 'strategy-form', 'strategy discussion form')
  status = await clickAndWait(page, await button(page, 'Record the strategy discussion'), 'sending an empty strategy discussion')
  expectStatus(page, status, 400, 'an empty strategy discussion')
  let summary = await errorSummaryText(page)
  for (const message of ['Enter the date the discussion was held', 'Add at least one attendee', 'Enter the information shared', 'Enter what was decided', 'Select whether section 47 enquiries were initiated']) {
    if (!summary.includes(message)) fail(`${pathOf(page)}: the error summary says "${summary}", expected "${message}"`)
  }
  await checkPage(page, 'strategy-form-errors', 'strategy discussion form with errors')
  //    "Add another attendee" works without JavaScript: the form comes back with one more row.
  const rowsBefore = await page.locator('main select[name$="-agency"]').count()
  await page.locator('#attendee-0-role').fill('Allocated social worker')
  status = await clickAndWait(page, await button(page, 'Add another attendee'), 'adding an attendee row')
  expectStatus(page, status, 200, 'adding an attendee row')
  const rowsAfter = await page.locator('main select[name$="-agency"]').count()
  if (rowsAfter !== rowsBefore + 1) fail(`${pathOf(page)}: "Add another attendee" gave ${rowsAfter} rows, expected ${rowsBefore + 1}`)
  if ((await page.locator('#attendee-0-role').inputValue()) !== 'Allocated social worker') fail(`${pathOf(page)}: "Add another attendee" lost what was typed`)
  //    Social care and police took part, not health: recorded, with a warning.
  await fillDate(page, 'on', dateParts(on))
  await fillAttendee(page, 0, { kind: 'Local authority', role: 'Allocated social worker', name: 'Sam Social-Worker' })
  await fillAttendee(page, 1, { kind: 'Police force', role: 'Detective sergeant', name: 'Pat Police-Lead', email: POLICE })
  await page.locator('#information_shared').fill('School reported bruising; police hold two call-outs this year (browser test).')
  await page.locator('#decisions').fill('Section 47 enquiries, joint with police.')
  await page.locator('#action-0-action').fill('Joint home visit')
  await page.locator('#action-0-owner').fill('Sam Social-Worker and Pat Police-Lead')
  await page.locator('#s47').check()
  status = await clickAndWait(page, await button(page, 'Record the strategy discussion'), 'recording the strategy discussion')
  if (pathOf(page) !== childHref || status !== 200) fail(`recording the strategy discussion went to ${pathOf(page)} (HTTP ${status}): "${await errorSummaryText(page)}"`)
  let last = await lastStep(page)
  if (last.step !== S47_STARTED) fail(`${pathOf(page)}: the last step is "${last.step}", expected "${S47_STARTED}"`)
  if (!last.note.includes('Warning: No one from health took part')) fail(`${pathOf(page)}: the strategy discussion's step does not warn that health was missing ("${last.note}")`)
  await expectCaseHeading(page, 'Case: Section 47 enquiry')
  await expectClock(page, 'Initial child protection conference')
  const meetingLink = page.locator('main a[href^="/cases/"]').filter({ hasText: 'View the record' })
  if ((await meetingLink.count()) !== 1) fail(`${pathOf(page)}: expected one "View the record" link to the strategy discussion`)
  const meetingHref = await meetingLink.getAttribute('href')
  log(`strategy discussion recorded: ${meetingHref}; ${last.note}`)
  await checkPage(page, 's47-started', 'child record, section 47 enquiries started')

  // 4. The enquiries found a continuing risk of significant harm (the one-line step form).
  await recordStep(page, childId, { event: S47_RISK, on, note: 'Enquiries found continuing risk; conference to be convened.' })
  if (!(await page.locator('main a', { hasText: 'Record the initial child protection conference' }).count())) {
    fail(`${pathOf(page)}: no link to the initial conference form after continuing risk was found`)
  }
  await checkPage(page, 's47-risk', 'child record, continuing risk found')

  // 5. The conference form: dated before the last step, and without the category the plan
  //    needs, it is refused; nothing is saved.
  const before = await steps(page)
  await clickAndWait(page, await link(page, 'Record the initial child protection conference'), 'opening the conference form')
  await expectH1(page, 'Record the initial child protection conference')
  await checkPage(page, 'icpc-form', 'initial conference form')
  await fillDate(page, 'on', dateParts(daysBefore(on, 1)))
  await page.locator('#chair').fill('Chris Chair')
  await fillAttendee(page, 0, { kind: 'Local authority', role: 'Allocated social worker', name: 'Sam Social-Worker' })
  await fillAttendee(page, 1, { kind: 'Integrated care board', role: 'Designated nurse', name: 'Hana Health-Lead', email: HEALTH })
  await page.locator('#decision').check()
  await page.locator('#core_group').fill('Mother\nSam Social-Worker, social worker\nHana Health-Lead, designated nurse')
  status = await clickAndWait(page, await button(page, 'Record the conference'), 'recording a conference dated before the last step')
  expectStatus(page, status, 400, 'a conference without its category')
  summary = await errorSummaryText(page)
  if (!summary.includes('Select the category of abuse the conference set')) fail(`${pathOf(page)}: the error summary says "${summary}", expected the missing category`)
  await checkPage(page, 'error-no-category', 'conference form error, plan without a category')
  await page.locator('#category').selectOption('NEG')
  status = await clickAndWait(page, await button(page, 'Record the conference'), 'recording a conference dated before the last step')
  expectStatus(page, status, 400, 'a conference dated before the last step')
  summary = await errorSummaryText(page)
  if (!summary.includes(`on or after the last step (${longDate(on)})`)) fail(`${pathOf(page)}: the error summary says "${summary}", expected the date to be refused`)
  await checkPage(page, 'error-date-before-last-step', 'conference form error, date before the last step')

  // 6. The conference on the right day makes the plan, category Neglect.
  await fillDate(page, 'on', dateParts(on))
  status = await clickAndWait(page, await button(page, 'Record the conference'), 'recording the initial conference')
  if (pathOf(page) !== childHref || status !== 200) fail(`recording the conference went to ${pathOf(page)} (HTTP ${status}): "${await errorSummaryText(page)}"`)
  const after = await steps(page)
  if (after.length !== before.length + 2) fail(`${pathOf(page)}: the conference added ${after.length - before.length} steps, expected 2 (the conference and the plan)`)
  if (after.at(-2).step !== ICPC_HELD || after.at(-1).step !== `${PLAN_STARTED} (Neglect)`) {
    fail(`${pathOf(page)}: the last steps are "${after.at(-2).step}", "${after.at(-1).step}", expected "${ICPC_HELD}", "${PLAN_STARTED} (Neglect)"`)
  }
  const heading = await caseHeading(page)
  if (!heading.startsWith('Case: Child protection plan')) fail(`${pathOf(page)}: after the conference the case heading is "${heading}", expected "Case: Child protection plan"`)
  await expectClock(page, 'First core group meeting')
  await expectClock(page, 'First review conference')
  const form = await stepForm(page, childId)
  await expectEventOptions(page, form, { present: [CORE_GROUP_MET], absent: [PLAN_STARTED, ICPC_HELD] })
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
  const chronology = (await tableRows(await tableByCaption(page, /^\s*Chronology\b/))).map((cells) => cells.join(' | '))
  const planLine = 'Child protection plan started (category: Neglect)'
  if (!chronology.some((row) => row.includes(planLine))) {
    fail(`${pathOf(page)}: the chronology has no "${planLine}" (it has: ${chronology.map((r) => `"${r}"`).join(', ')})`)
  }
  for (const line of ['Strategy discussion held', S47_RISK, ICPC_HELD]) {
    if (!chronology.some((row) => row.includes(line))) problem(`the chronology has no "${line}"`, page.url())
  }
  await checkPage(page, 'cp-plan', 'child record, child protection plan')

  // 7. The chronology filtered to meetings, laid out to print.
  await goto(page, `${childHref}/chronology?kind=meeting`)
  const meetings = await tableRows(await tableByCaption(page, /entries, newest first/))
  if (!meetings.length || meetings.some(([, type]) => type !== 'Meeting')) fail(`${pathOf(page)}?kind=meeting: rows ${JSON.stringify(meetings)}, expected only meetings`)
  await checkPage(page, 'chronology-meetings', 'chronology filtered to meetings')

  // 8. The police lead took part in the strategy discussion: told, and may read that
  //    record, never the child's case file.
  await signOut(page)
  await signIn(page, POLICE)
  await goto(page, '/notifications')
  const told = page.locator(`main a[href="${meetingHref}"]`)
  if ((await told.count()) < 1) fail(`/notifications as the police lead: no link to ${meetingHref}`)
  await clickAndWait(page, told.first(), 'opening the strategy discussion from the notification')
  await expectH1(page, 'Strategy discussion (section 47 enquiries initiated)')
  const body = norm(await page.locator('main').innerText())
  for (const text of [CHILD, 'you took part in this meeting', 'No one from health took part', 'Joint home visit']) {
    if (!body.includes(text)) fail(`${meetingHref} as the police lead: the page does not show "${text}"`)
  }
  await checkPage(page, 'meeting-police', 'strategy discussion record, as the police lead')
  await goto(page, childHref, { status: 403 })
  await checkPage(page, 'forbidden-police', 'child record refused to the police lead')
  await goto(page, '/home')
  await signOut(page)

  // 9. The teacher has no legitimate relationship with Bobby: refused.
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
