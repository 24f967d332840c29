// End-to-end browser test of the front door's closed loop, in the demo area:
//   1. the demo teacher (Oakfield Primary School) records a concern about a new,
//      fictional child (and first submits the form empty, to see the errors);
//   2. makes a referral from it, pre-filled from the concern;
//   3. the demo front door practitioner finds it in the queue, creates a new
//      record for the child and decides "Child and family assessment (section 17)";
//   4. the teacher sees the decision and its reasons, and a notification of it.
// Every page is checked with axe-core (WCAG 2.2 AA rule set) and screenshotted
// (tests/browser/screenshots/referral-NN-*.png).
//
//   SAFEGUARD_URL=http://127.0.0.1:8099 node tests/browser/referral.mjs
//
// Env: SAFEGUARD_URL (required), SCREENSHOT_DIR, CHROMIUM_BIN; see lib.mjs.
// Usually run through scripts/browser-test.sh, which starts the server.
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
} from './lib.mjs'

const TEACHER = 'teacher@demo.safeguard.test'
const FRONT_DOOR = 'front.door@demo.safeguard.test'
const OUTCOME = 'Child and family assessment (section 17)'
const CONCERN_PATH = new RegExp(`^/concerns/(${UUID})$`, 'i')
const REFERRAL_PATH = new RegExp(`^/referrals/(${UUID})$`, 'i')

const { log, problem, newPage, goto, clickAndWait, checkPage, signIn, signOut, run } = createJourney('browser referral journey', {
  screenshotPrefix: 'referral-',
  timeoutMs: 240_000,
})

// A fictional child, unique to this run so the front door has no record of them.
const suffix = Array.from({ length: 4 }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)]).join('')
const CHILD = {
  given: 'Testchild',
  family: `Browserton${suffix}`,
  dob: { day: '14', month: '3', year: '2016' },
  address: '1 Test Street, Northmoor',
  postcode: 'NM1 2AB',
}
const FULL_NAME = `${CHILD.given} ${CHILD.family}`
const WHAT = `${CHILD.given} said a grown-up at home grabbed her arm; a bruise was seen on her left forearm (browser test ${suffix}).`
const WHO = 'Class teacher and teaching assistant'
const ACTION = 'Wrote this down and told the designated safeguarding lead straight away.'
const DECISION_REASONS = `Injury with an account from the child: assess the family's needs under section 17 (browser test ${suffix}).`

// Yesterday (UTC), as the day the concern was seen: always "today or in the past"
// for the server, whatever its time zone.
const seen = new Date(Date.now() - 24 * 60 * 60 * 1000)
const HAPPENED = { day: String(seen.getUTCDate()), month: String(seen.getUTCMonth() + 1), year: String(seen.getUTCFullYear()) }

// ---------------------------------------------------------------------------

// Follow a service-navigation link. A missing or wrong link is a problem (the run
// fails), but the journey carries on by going to the page directly, so that one
// run reports everything that is wrong.
async function followNav(page, label, href) {
  const link = page.locator('nav[aria-label="Menu"] a').filter({ hasText: new RegExp(`^\\s*${label}\\b`) })
  const n = await link.count()
  if (n === 1 && (await link.getAttribute('href')) === href) {
    const status = await clickAndWait(page, link, `following "${label}" in the navigation`)
    expectStatus(page, status, 200, `following "${label}"`)
  } else {
    const found = (await page.locator('nav[aria-label="Menu"] a').allInnerTexts()).map(norm)
    problem(
      n === 1
        ? `navigation link "${label}" goes to ${await link.getAttribute('href')}, expected ${href}`
        : `navigation has ${n} link(s) "${label}" (to ${href}), expected 1 (it has: ${found.map((t) => `"${t}"`).join(', ')})`,
      page.url(),
    )
    await goto(page, href)
  }
  if (pathOf(page) !== href) fail(`"${label}" went to ${pathOf(page)}, expected ${href}`)
}

// Check one radio, found by its label inside the fieldset with this legend.
async function chooseRadio(page, legend, label, name) {
  const group = page.getByRole('group', { name: legend, exact: true })
  if ((await group.count()) !== 1) fail(`${pathOf(page)}: expected one fieldset "${legend}"`)
  const radio = group.getByRole('radio', { name: label, exact: true })
  if ((await radio.count()) !== 1) fail(`${pathOf(page)}: "${legend}" has no single radio "${label}"`)
  const actual = await radio.getAttribute('name')
  if (actual !== name) fail(`${pathOf(page)}: radio "${label}" has name="${actual}", expected "${name}"`)
  await radio.check()
}

async function expectValue(page, field, expected, what) {
  const actual = await field.inputValue()
  if (actual !== expected) fail(`${pathOf(page)}: ${what} is "${actual}", expected "${expected}"`)
}

// ---------------------------------------------------------------------------

async function steps(browser) {
  const page = await newPage(browser)
  log(`child for this run: ${FULL_NAME}`)

  // 1. The teacher's concerns.
  await signIn(page, TEACHER)
  await followNav(page, 'Concerns', '/concerns')
  await expectH1(page, 'Concerns')
  await checkPage(page, 'concerns', 'concerns')

  // 2. The concern form.
  const record = await link(page, 'Record a concern')
  if ((await record.getAttribute('href')) !== '/concerns/new') fail('/concerns: "Record a concern" does not link to /concerns/new')
  let status = await clickAndWait(page, record, 'following "Record a concern"')
  expectStatus(page, status, 200, 'opening the concern form')
  if (pathOf(page) !== '/concerns/new') fail(`"Record a concern" went to ${pathOf(page)}`)
  await expectH1(page, 'Record a concern')
  const fields = {
    given: await expectField(page, 'Given name', 'given_name'),
    family: await expectField(page, 'Family name', 'family_name'),
    nhs: await expectField(page, 'NHS number (if known)', 'nhs_number'),
    address: await expectField(page, 'Address (if known)', 'address'),
    postcode: await expectField(page, 'Postcode (if known)', 'postcode'),
    category: await expectField(page, 'Kind of concern', 'category'),
    what: await expectField(page, 'What was seen or said', 'what'),
    who: await expectField(page, 'Who was involved or present', 'who'),
    action: await expectField(page, 'What you did about it', 'action_taken'),
  }
  await checkPage(page, 'concern-form', 'concern form')

  // 3. Submitted empty: errors, HTTP 400, and still accessible.
  status = await clickAndWait(page, await button(page, 'Save the concern'), 'saving an empty concern')
  if (pathOf(page) !== '/concerns/new') fail(`saving an empty concern went to ${pathOf(page)}, expected to stay on /concerns/new`)
  const summary = page.locator('.govuk-error-summary')
  if ((await summary.count()) !== 1) fail('saving an empty concern: expected one .govuk-error-summary')
  const summaryText = norm(await summary.innerText())
  // Every missing answer is reported at once (GOV.UK error summary pattern); a
  // missing one is a problem (the run fails), but the journey carries on.
  for (const [message, href] of [
    ['Enter what was seen or said', '#what'],
    ['Enter what you did about it', '#action_taken'],
  ]) {
    const item = summary.getByRole('link', { name: message, exact: true })
    if ((await item.count()) !== 1) {
      problem(`saving an empty concern: the error summary lacks "${message}" (it says "${summaryText}")`, page.url())
    } else if ((await item.getAttribute('href')) !== href) {
      problem(`saving an empty concern: the error "${message}" links to ${await item.getAttribute('href')}, expected ${href}`, page.url())
    }
  }
  expectStatus(page, status, 400, 'saving an empty concern')
  const title = await page.title()
  if (!title.startsWith('Error: ')) problem(`page title "${title}" of a form with errors does not start with "Error: "`, page.url())
  log(`empty concern: HTTP ${status}, error summary "${summaryText}"`)
  await checkPage(page, 'concern-errors', 'concern form with errors')

  // 4. The concern, filled in.
  await fields.given.fill(CHILD.given)
  await fields.family.fill(CHILD.family)
  await fillDate(page, 'dob', CHILD.dob)
  await chooseRadio(page, 'Sex', 'Female', 'sex')
  await fields.address.fill(CHILD.address)
  await fields.postcode.fill(CHILD.postcode)
  await fillDate(page, 'happened', HAPPENED)
  await fields.category.selectOption('physical')
  await fields.what.fill(WHAT)
  await fields.who.fill(WHO)
  await fields.action.fill(ACTION)
  status = await clickAndWait(page, await button(page, 'Save the concern'), 'saving the concern')
  const concernMatch = CONCERN_PATH.exec(pathOf(page))
  if (!concernMatch) {
    const errors = await errorSummaryText(page)
    fail(`saving the concern went to ${pathOf(page)} (HTTP ${status}), expected /concerns/{uuid}${errors ? `; errors: "${errors}"` : ''}`)
  }
  expectStatus(page, status, 200, 'saving the concern')
  const concernId = concernMatch[1]
  await expectH1(page, FULL_NAME)
  const mainText = norm(await page.locator('main').innerText())
  if (!mainText.includes(WHAT)) fail(`/concerns/${concernId}: does not show what was seen or said`)
  const makeReferral = await link(page, 'Make a referral')
  const referHref = await makeReferral.getAttribute('href')
  if (referHref !== `/referrals/new?concern=${concernId}`) {
    fail(`/concerns/${concernId}: "Make a referral" links to ${referHref}, expected /referrals/new?concern=${concernId}`)
  }
  log(`concern saved: /concerns/${concernId}`)
  await checkPage(page, 'concern', 'concern')

  // 5. The referral form, pre-filled from the concern.
  status = await clickAndWait(page, makeReferral, 'following "Make a referral"')
  expectStatus(page, status, 200, 'opening the referral form')
  if (pathOf(page) !== '/referrals/new') fail(`"Make a referral" went to ${pathOf(page)}`)
  await expectH1(page, "Refer a child to children's social care")
  await expectValue(page, await expectField(page, 'Given name', 'given_name'), CHILD.given, 'the given name')
  await expectValue(page, await expectField(page, 'Family name', 'family_name'), CHILD.family, 'the family name')
  await expectValue(page, await expectField(page, 'Postcode (if known)', 'postcode'), CHILD.postcode, 'the postcode')
  for (const [part, value] of Object.entries(CHILD.dob)) {
    await expectValue(page, page.locator(`input[name="dob-${part}"]`), value, `the date of birth ${part}`)
  }
  if (!(await page.locator('input[name="sex"][value="F"]').isChecked())) fail('/referrals/new: the sex "Female" was not carried over')
  const reasons = await expectField(page, 'What are you worried about, and why?', 'reasons')
  if (!(await reasons.inputValue()).includes(WHAT)) fail('/referrals/new: the reasons do not contain what was seen or said')
  if ((await page.locator('input[type="hidden"][name="concern"]').inputValue()) !== concernId) {
    fail('/referrals/new: the hidden "concern" field does not hold the concern id')
  }
  const la = await expectField(page, 'Local authority', 'la')
  if (!(await la.inputValue())) fail('/referrals/new: the local authority is not pre-set (the demo has one)')
  if (!(await page.locator('input[name="urgency"][value="standard"]').isChecked())) {
    fail('/referrals/new: urgency "standard" is not pre-checked')
  }
  await expectValue(page, await expectField(page, 'Who is referring', 'source'), '2A', 'who is referring (a school: 2A)')
  if (!(await (await expectField(page, 'Lawful basis for sharing', 'lawful_basis')).inputValue())) {
    fail('/referrals/new: the lawful basis is not pre-set')
  }
  await checkPage(page, 'referral-form', 'referral form')

  // 6. Send it.
  await chooseRadio(page, 'Is the child safe now?', 'Yes', 'child_safe_now')
  await chooseRadio(page, 'Does the family know about this referral?', 'The family knows and agrees', 'consent')
  await (await expectField(page, 'Your telephone number', 'referrer_contact')).fill('01632 960501')
  status = await clickAndWait(page, await button(page, 'Send the referral'), 'sending the referral')
  const sentMatch = REFERRAL_PATH.exec(pathOf(page))
  if (!sentMatch || new URL(page.url()).searchParams.get('sent') !== '1') {
    const errors = await errorSummaryText(page)
    fail(`sending the referral went to ${page.url()} (HTTP ${status}), expected /referrals/{uuid}?sent=1${errors ? `; errors: "${errors}"` : ''}`)
  }
  expectStatus(page, status, 200, 'sending the referral')
  const referralId = sentMatch[1]
  const referralPath = `/referrals/${referralId}`
  await expectH1(page, FULL_NAME)
  const banner = page.locator('.govuk-notification-banner--success')
  if ((await banner.count()) !== 1) fail(`${referralPath}?sent=1: no success banner`)
  const bannerText = norm(await banner.innerText())
  if (!bannerText.includes('decide by')) fail(`${referralPath}?sent=1: the banner says "${bannerText}", expected it to mention "decide by"`)
  if (!norm(await page.locator('main').innerText()).includes("Received: awaiting the front door's decision")) {
    fail(`${referralPath}: status is not "Received: awaiting the front door's decision"`)
  }
  log(`referral sent: ${referralPath} ("${bannerText}")`)
  await checkPage(page, 'referral-sent', 'referral sent')

  // 7. The front door: the queue.
  await signOut(page)
  await signIn(page, FRONT_DOOR)
  await followNav(page, 'Front door', '/front-door')
  await expectH1(page, 'Front door')
  const queued = page.locator('main table').getByRole('link', { name: FULL_NAME, exact: true })
  if ((await queued.count()) !== 1) fail(`/front-door: the queue has no single link "${FULL_NAME}"`)
  if ((await queued.getAttribute('href')) !== `/front-door/${referralId}`) {
    fail(`/front-door: "${FULL_NAME}" links to ${await queued.getAttribute('href')}, expected /front-door/${referralId}`)
  }
  await checkPage(page, 'front-door-queue', 'front door queue')

  // 8. Screening: no record of the child yet, so create one.
  status = await clickAndWait(page, queued, `opening "${FULL_NAME}" in the queue`)
  expectStatus(page, status, 200, 'opening the referral to screen')
  const screeningPath = `/front-door/${referralId}`
  if (pathOf(page) !== screeningPath) fail(`the queue link went to ${pathOf(page)}, expected ${screeningPath}`)
  await expectH1(page, FULL_NAME)
  const caption = norm(await page.locator('main .govuk-caption-l').first().innerText().catch(() => ''))
  if (caption !== 'Screen a referral') fail(`${screeningPath}: caption is "${caption}", expected "Screen a referral"`)
  const candidates = await page.getByRole('button', { name: /^This is the child/ }).count()
  log(`screening: ${candidates} possible match(es); creating a new record`)
  if ((await page.locator('#decision').count()) !== 0) fail(`${screeningPath}: the decision form is shown before the child is linked`)
  await checkPage(page, 'screening', 'screening')

  status = await clickAndWait(page, await button(page, 'None of these: create a new record'), 'creating a new record')
  expectStatus(page, status, 200, 'creating a new record')
  if (pathOf(page) !== screeningPath) fail(`creating a new record went to ${pathOf(page)}, expected ${screeningPath}`)
  const linked = page.locator('main').getByRole('link', { name: FULL_NAME, exact: true })
  if ((await linked.count()) !== 1 || !new RegExp(`^/children/${UUID}$`, 'i').test((await linked.getAttribute('href')) ?? '')) {
    fail(`${screeningPath}: after creating a record, no "Linked to ${FULL_NAME}" link to /children/{uuid}`)
  }
  if ((await page.locator('#decision').count()) !== 1) fail(`${screeningPath}: no #decision heading after creating the record`)
  await checkPage(page, 'screening-decision', 'screening, decision form')

  // 9. The decision.
  await chooseRadio(page, 'What happens next?', OUTCOME, 'outcome')
  await (await expectField(page, 'Reasons', 'reasons')).fill(DECISION_REASONS)
  status = await clickAndWait(page, await button(page, 'Record the decision'), 'recording the decision')
  if (pathOf(page) !== '/front-door') {
    const errors = await errorSummaryText(page)
    fail(`recording the decision went to ${pathOf(page)} (HTTP ${status}), expected /front-door${errors ? `; errors: "${errors}"` : ''}`)
  }
  expectStatus(page, status, 200, 'recording the decision')
  if ((await page.locator('main').getByRole('link', { name: FULL_NAME, exact: true }).count()) !== 0) {
    fail(`/front-door: "${FULL_NAME}" is still in the queue after the decision`)
  }
  log(`decision recorded: ${OUTCOME}`)

  // 10. The teacher sees the decision.
  await signOut(page)
  await signIn(page, TEACHER)
  await followNav(page, 'My referrals', '/referrals')
  await expectH1(page, 'My referrals')
  const mine = page.locator('main table tbody tr').filter({ has: page.locator(`a[href="${referralPath}"]`) })
  if ((await mine.count()) !== 1) fail(`/referrals: no single row linking to ${referralPath}`)
  const mineLink = mine.locator(`a[href="${referralPath}"]`)
  if (norm(await mineLink.innerText()) !== FULL_NAME) fail(`/referrals: the link to ${referralPath} is not "${FULL_NAME}"`)
  const tag = norm(await mine.locator('.govuk-tag').first().innerText().catch(() => ''))
  if (tag !== 'Decided') fail(`/referrals: the referral's tag is "${tag}", expected "Decided"`)
  await checkPage(page, 'my-referrals', 'my referrals')

  status = await clickAndWait(page, mineLink, 'opening the decided referral')
  expectStatus(page, status, 200, 'opening the decided referral')
  if (pathOf(page) !== referralPath) fail(`the referral link went to ${pathOf(page)}, expected ${referralPath}`)
  await expectH1(page, FULL_NAME)
  const decided = norm(await page.locator('main').innerText())
  if (!decided.includes(`Decision: ${OUTCOME}`)) fail(`${referralPath}: does not show "Decision: ${OUTCOME}"`)
  if (!decided.includes(DECISION_REASONS)) fail(`${referralPath}: does not show the decision's reasons`)
  await checkPage(page, 'referral-decided', 'referral with decision')

  await followNav(page, 'Notifications', '/notifications')
  await expectH1(page, 'Notifications')
  // The referral has two: "… received your referral …" and the decision.
  const notes = page.locator(`main a[href="${referralPath}"]`)
  const noteTexts = (await notes.allInnerTexts()).map(norm)
  const decisionNotes = noteTexts.filter((t) => t.includes('Decision on your referral'))
  if (decisionNotes.length !== 1) {
    fail(`/notifications: expected one "Decision on your referral" notification linking to ${referralPath}, found ${decisionNotes.length} (links there: ${noteTexts.map((t) => `"${t}"`).join(', ') || 'none'})`)
  }
  const noteText = decisionNotes[0]
  if (!noteText.includes(OUTCOME)) fail(`/notifications: the notification says "${noteText}", expected it to name the outcome "${OUTCOME}"`)
  log(`notification: "${noteText}"`)
  await checkPage(page, 'notifications', 'notifications')
  await page.context().close()
}

await run(steps)
