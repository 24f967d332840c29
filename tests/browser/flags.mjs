// End-to-end browser test of the flag register (CP-IS), in the demo area:
//   1. the demo ED clinician opens "Check a child" from the navigation;
//   2. enters a mistyped NHS number: refused (HTTP 400), the error summary links to
//      the field;
//   3. checks a flagged child (Dylan Casebrook, on a child protection plan) in
//      unscheduled care: the flag, the local authority's office-hours and
//      out-of-hours numbers, what to do, that the LA was told, and the last
//      unscheduled-care checks (setting and time, no names);
//   4. checks an NHS number with no flag: "No flag", and that this is not a
//      guarantee the child is safe;
//   5. checks the mother of an unborn baby on a pre-birth plan in scheduled care:
//      the UNBORN_CPP flag with the expected date of delivery, and that no one was told;
//   6. the demo front door worker opens "Flag accesses": the clinician's unscheduled
//      check is the newest, not seen; marks it seen, filters to seen accesses, then
//      marks it actioned.
// Every page is checked with axe-core (WCAG 2.2 AA rule set) and screenshotted
// (tests/browser/screenshots/flags-NN-*.png).
//
//   SAFEGUARD_URL=http://127.0.0.1:8099 node tests/browser/flags.mjs
//
// Env: SAFEGUARD_URL (required), SCREENSHOT_DIR, CHROMIUM_BIN; see lib.mjs.
// The demo's NHS numbers are fixed: Dylan Casebrook 998 000 0317; the mother of the
// unborn Casebrook baby 998 000 2018; 943 476 5919 (the NHS's own example) is no one here.

import { createJourney, fail, norm, expectStatus, expectH1, button, errorSummaryText, tableByCaption } from './lib.mjs'

const CLINICIAN = 'ed.clinician@demo.safeguard.test'
const FRONT_DOOR = 'front.door@demo.safeguard.test'
const DYLAN = '998 000 0317'
const MOTHER = '998 000 2018'
const NOBODY = '943 476 5919'
const SETTING = 'Northmoor Hospitals NHS Foundation Trust (Emergency Department)'

const { log, newPage, goto, clickAndWait, checkPage, signIn, run } = createJourney('browser flags journey', {
  screenshotPrefix: 'flags-',
  timeoutMs: 180_000,
})

async function check(page, nhs, care, what) {
  await page.locator('#nhs_number').fill(nhs)
  await page.locator(care === 'scheduled' ? '#care-scheduled' : '#care').check()
  return clickAndWait(page, await button(page, 'Check'), what)
}

async function journey(browser) {
  // 1. The clinician's navigation leads to the page.
  const page = await newPage(browser)
  await signIn(page, CLINICIAN)
  let status = await clickAndWait(page, page.getByRole('link', { name: 'Check a child' }), 'opening Check a child')
  expectStatus(page, status, 200, 'Check a child')
  await expectH1(page, 'Check a child')
  if (!(await page.locator('#care').isChecked())) fail('/check-a-child: unscheduled care is not the default')
  await checkPage(page, 'check', 'Check a child, empty')

  // 2. A mistyped number.
  status = await check(page, '943 476 5918', 'unscheduled', 'checking a mistyped NHS number')
  expectStatus(page, status, 400, 'a mistyped NHS number')
  const summary = await errorSummaryText(page)
  if (!summary.includes('does not match the other nine')) fail(`the error summary says "${summary}"`)
  if ((await page.locator('.govuk-error-summary a[href="#nhs_number"]').count()) !== 1) fail('the error summary does not link to #nhs_number')
  await checkPage(page, 'check-error', 'Check a child, mistyped NHS number')

  // 3. A flagged child, unscheduled care.
  status = await check(page, DYLAN, 'unscheduled', 'checking a flagged child')
  expectStatus(page, status, 200, 'checking a flagged child')
  const main = norm(await page.locator('main').innerText())
  for (const want of [
    'Child protection plan (CPP)',
    'Northmoor Borough Council',
    '01632 960000',
    '01632 960999',
    'What to do',
    'Told of this attendance: Northmoor Borough Council',
  ]) {
    if (!main.includes(want)) fail(`flagged child: the page does not say "${want}"`)
  }
  if (main.includes('Casebrook') || main.includes('Neglect')) fail('flagged child: the page shows a name or category from the case file')
  const accesses = await tableByCaption(page, 'Latest unscheduled-care checks of this NHS number (up to 25)')
  const newest = norm(await accesses.locator('tbody tr').first().innerText())
  if (!newest.includes(SETTING)) fail(`the newest access reads "${newest}"`)
  log(`flagged child: ${await accesses.locator('tbody tr').count()} accesses listed`)
  await checkPage(page, 'check-flag', 'Check a child, a child protection plan')

  // 4. No flag.
  status = await check(page, NOBODY, 'unscheduled', 'checking a child with no flag')
  expectStatus(page, status, 200, 'checking a child with no flag')
  const none = norm(await page.locator('main').innerText())
  for (const want of ['No flag', 'No child protection plan or looked-after status is recorded for this NHS number', 'This is not a guarantee that the child is safe']) {
    if (!none.includes(want)) fail(`no flag: the page does not say "${want}"`)
  }
  await checkPage(page, 'check-none', 'Check a child, no flag')

  // 5. The mother of an unborn baby, scheduled care.
  status = await check(page, MOTHER, 'scheduled', 'checking an unborn baby\'s mother, scheduled')
  expectStatus(page, status, 200, 'checking the mother')
  const unborn = norm(await page.locator('main').innerText())
  for (const want of ['Unborn child protection plan (UNBORN_CPP)', 'Expected date of delivery', 'has not been told', 'no one was told']) {
    if (!unborn.includes(want)) fail(`unborn: the page does not say "${want}"`)
  }
  await checkPage(page, 'check-unborn', 'Check a child, a pre-birth plan, scheduled care')
  await page.context().close()

  // 6. The LA's inbox.
  const la = await newPage(browser)
  await signIn(la, FRONT_DOOR)
  status = await clickAndWait(la, la.getByRole('link', { name: 'Flag accesses' }), 'opening Flag accesses')
  expectStatus(la, status, 200, 'Flag accesses')
  await expectH1(la, 'Flag accesses')
  const coverage = norm(await la.locator('main .govuk-inset-text').innerText())
  if (!/NHS number coverage: \d+ of \d+ children/.test(coverage)) fail(`coverage reads "${coverage}"`)
  let table = await tableByCaption(la, /accesses, newest first$/)
  let first = norm(await table.locator('tbody tr').first().innerText())
  if (!first.includes(SETTING) || !first.includes(DYLAN) || !first.includes('Not seen')) fail(`the newest access reads "${first}"`)
  await checkPage(la, 'inbox', 'Flag accesses')
  status = await clickAndWait(la, table.locator('tbody tr').first().getByRole('button', { name: /^Mark seen/ }), 'marking the access seen')
  expectStatus(la, status, 200, 'marking seen')
  table = await tableByCaption(la, /accesses, newest first$/)
  first = norm(await table.locator('tbody tr').first().innerText())
  if (!first.includes('Seen') || first.includes('Not seen')) fail(`after "Mark seen" the newest access reads "${first}"`)
  await la.locator('#state').selectOption('seen')
  status = await clickAndWait(la, await button(la, 'Filter'), 'filtering to seen')
  expectStatus(la, status, 200, 'filtering')
  const seenRows = await (await tableByCaption(la, /accesses, newest first$/)).locator('tbody tr').allInnerTexts()
  if (seenRows.length === 0 || seenRows.some((r) => !norm(r).includes('Seen'))) fail(`filtered to seen: ${seenRows.map(norm).join(' | ')}`)
  await checkPage(la, 'inbox-seen', 'Flag accesses, seen')
  table = await tableByCaption(la, /accesses, newest first$/)
  status = await clickAndWait(la, table.locator('tbody tr').first().getByRole('button', { name: /^Mark actioned/ }), 'marking the access actioned')
  expectStatus(la, status, 200, 'marking actioned')
  first = norm(await (await tableByCaption(la, /accesses, newest first$/)).locator('tbody tr').first().innerText())
  if (!first.includes('Actioned')) fail(`after "Mark actioned" the newest access reads "${first}"`)
  log('the front door marked the access seen, then actioned')
  await checkPage(la, 'inbox-actioned', 'Flag accesses, actioned')
  await la.context().close()
}

await run(journey)
