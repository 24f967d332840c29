// End-to-end browser test of record linkage at the front door, in the demo area:
//   1. the demo front door worker opens the waiting referrals until one offers a known
//      child with a match probability of more than 99.99% (the GP's referral carries
//      the child's NHS number), and checks the evidence waterfall for it;
//   2. rules that child out ("Not this child"): it leaves the candidates and is listed
//      as ruled out; then offers it again;
//   3. confirms the match ("This is the child"), then undoes it: without a reason the
//      undo is refused (HTTP 400, error naming the field); with one, the referral is
//      unmatched again and the candidates are back;
//   4. opens "Possible duplicate records": the demo's second record of a child is
//      waiting; records "Same child", sees the decision, and reverses it with a reason.
// Every page is checked with axe-core (WCAG 2.2 AA rule set) and screenshotted
// (tests/browser/screenshots/linkage-NN-*.png).
//
//   SAFEGUARD_URL=http://127.0.0.1:8099 node tests/browser/linkage.mjs
//
// Env: SAFEGUARD_URL (required), SCREENSHOT_DIR, CHROMIUM_BIN; see lib.mjs.
// The journey leaves the referral as it found it (unmatched), so it can run beside the others.

import { UUID, createJourney, fail, norm, pathOf, expectStatus, expectH1, button, errorSummaryText, tableByCaption } from './lib.mjs'

const FRONT_DOOR = 'front.door@demo.safeguard.test'
const CANDIDATES = 'Possible matches, most likely first'

const { log, newPage, goto, clickAndWait, checkPage, signIn, run } = createJourney('browser linkage journey', {
  screenshotPrefix: 'linkage-',
  timeoutMs: 180_000,
})

// The candidates as { name, probability, evidence: [text] }, best first; none if no table.
async function candidates(page) {
  const table = await tableByCaption(page, CANDIDATES, { optional: true })
  if (!table) return []
  const out = []
  for (const row of await table.locator(':scope > tbody > tr').all()) {
    const cells = row.locator(':scope > td')
    const name = norm(await cells.nth(0).innerText()).split(/\n| {2}/)[0]
    const probability = norm(await cells.nth(1).innerText())
    const evidence = (await cells.nth(2).locator('tbody tr').allInnerTexts()).map(norm)
    out.push({ row, name, probability, evidence })
  }
  return out
}

async function journey(browser) {
  const page = await newPage(browser)
  await signIn(page, FRONT_DOOR)

  // 1. Find a waiting referral with a certain match.
  await goto(page, '/front-door')
  const links = await page.locator('main table a[href^="/front-door/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))
  let screening = null
  let best = null
  for (const href of links) {
    await goto(page, href)
    const found = await candidates(page)
    if (found.length > 0 && found[0].probability === 'more than 99.99%') {
      screening = href
      best = found[0]
      break
    }
  }
  if (!screening) fail(`none of the ${links.length} waiting referrals offers a known child at "more than 99.99%"`)
  if (!new RegExp(`^/front-door/${UUID}$`, 'i').test(screening)) fail(`unexpected screening link ${screening}`)
  log(`${screening}: first candidate ${best.probability}; evidence: ${best.evidence.join('; ')}`)
  const childName = best.row.locator(':scope > td').first()
  const firstName = norm(await childName.innerText()).split(' ').slice(0, 2).join(' ')
  for (const want of [/^Before comparing/, /^NHS number: exact match \+\d/, /^Total \+\d/]) {
    if (!best.evidence.some((e) => want.test(e))) fail(`${screening}: the evidence has no row like ${want} (it has: ${best.evidence.join(' | ')})`)
  }
  await checkPage(page, 'screening-candidates', 'screening, candidates with evidence')

  // 2. Not this child, then offer again.
  let status = await clickAndWait(page, best.row.getByRole('button', { name: /^Not this child/ }), 'ruling the first candidate out')
  expectStatus(page, status, 200, 'ruling a candidate out')
  if (pathOf(page) !== screening) fail(`ruling out went to ${pathOf(page)}`)
  const after = await candidates(page)
  if (after.some((c) => c.probability === 'more than 99.99%')) fail(`${screening}: the ruled-out child is still offered`)
  const ruledOut = page.locator('main h3').filter({ hasText: /^\s*Ruled out for this referral\s*$/ })
  if ((await ruledOut.count()) !== 1) fail(`${screening}: no "Ruled out for this referral" list`)
  await checkPage(page, 'screening-ruled-out', 'screening, a candidate ruled out')
  status = await clickAndWait(page, await button(page, 'Offer again'), 'offering the candidate again')
  expectStatus(page, status, 200, 'offering again')
  const back = await candidates(page)
  if (back[0]?.probability !== 'more than 99.99%') fail(`${screening}: after "Offer again" the first candidate is ${back[0]?.probability}`)

  // 3. Confirm, then undo: a reason is required.
  status = await clickAndWait(page, back[0].row.getByRole('button', { name: /^This is the child/ }), 'confirming the match')
  expectStatus(page, status, 200, 'confirming the match')
  const linked = norm(await page.locator('main').innerText())
  if (!linked.includes('Linked to')) fail(`${screening}: after confirming, no "Linked to"`)
  await page.getByText('Not the right child? Undo this match').click()
  status = await clickAndWait(page, await button(page, 'Undo the match'), 'undoing without a reason')
  expectStatus(page, status, 400, 'undoing the match without a reason')
  const summary = await errorSummaryText(page)
  if (!summary.includes('Enter why this is not the child')) fail(`${screening}: the error summary says "${summary}"`)
  const reasonLink = page.locator('.govuk-error-summary a[href="#reason"]')
  if ((await reasonLink.count()) !== 1) fail(`${screening}: the error summary does not link to #reason`)
  await checkPage(page, 'screening-undo-error', 'screening, undo without a reason')
  await page.getByText('Not the right child? Undo this match').click()
  await page.locator('#reason').fill('A cousin with the same name and date of birth')
  status = await clickAndWait(page, await button(page, 'Undo the match'), 'undoing the match')
  expectStatus(page, status, 200, 'undoing the match')
  const again = await candidates(page)
  if (again.length === 0) fail(`${screening}: after undoing the match no candidates are offered`)
  log(`confirmed and undid the match to ${firstName}`)
  await checkPage(page, 'screening-undone', 'screening, match undone')

  // 4. The duplicate report.
  await goto(page, '/front-door')
  status = await clickAndWait(page, page.getByRole('link', { name: 'Possible duplicate records' }), 'opening the duplicate report')
  expectStatus(page, status, 200, 'the duplicate report')
  await expectH1(page, 'Possible duplicate records')
  const cards = page.locator('main .govuk-summary-card')
  if ((await cards.count()) < 1) fail('/front-door/duplicates: no possible duplicate is waiting (the demo has one)')
  const card = cards.first()
  const title = norm(await card.locator('.govuk-summary-card__title').innerText())
  if (!/^Match probability (more than )?\d/.test(title)) fail(`/front-door/duplicates: the card title is "${title}"`)
  await checkPage(page, 'duplicates', 'duplicate report')
  status = await clickAndWait(page, card.getByRole('button', { name: /^Same child/ }), 'recording the same child')
  expectStatus(page, status, 200, 'recording the same child')
  const decisions = await tableByCaption(page, 'Pairs of records decided, newest first')
  const first = norm(await decisions.locator('tbody tr').first().innerText())
  if (!first.includes('Same child')) fail(`/front-door/duplicates: the newest decision reads "${first}"`)
  await page.locator('main table input[name="reason"]').first().fill('Twins: different children')
  status = await clickAndWait(page, decisions.getByRole('button', { name: 'Reverse' }).first(), 'reversing the decision')
  expectStatus(page, status, 200, 'reversing the decision')
  const reversed = norm(await (await tableByCaption(page, 'Pairs of records decided, newest first')).locator('tbody tr').first().innerText())
  if (!reversed.includes('Reversed') || !reversed.includes('Twins: different children')) fail(`/front-door/duplicates: after reversing, the decision reads "${reversed}"`)
  log(`duplicate report: "${title}", decided same child, reversed`)
  await checkPage(page, 'duplicates-reversed', 'duplicate report, decision reversed')
  await page.context().close()
}

await run(journey)
