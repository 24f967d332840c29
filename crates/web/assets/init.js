// Our own start-up script (not vendored). Loaded from the page layout with
//   <script type="module" src="/assets/init.js"></script>
// because the Content Security Policy forbids inline script, so the usual
// inline snippet from the GOV.UK page template lives here instead.
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('js-enabled')
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported')
}

initAll()
