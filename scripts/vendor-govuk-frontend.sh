#!/usr/bin/env bash
# Vendor the built GOV.UK Frontend files from node_modules into crates/web/assets,
# from where the server embeds them and serves them at /assets/...
#
#   npm ci && scripts/vendor-govuk-frontend.sh
#
# Copies only what the browser needs: the minified CSS, the minified ES-module
# JavaScript, fonts, images and manifest.json. No source maps, no Sass, no Nunjucks.
# Our own files in crates/web/assets (init.js, and anything else not listed
# below) are left alone.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pkg="$repo_root/node_modules/govuk-frontend"
src="$pkg/dist/govuk"
dest="$repo_root/crates/web/assets"

if [[ ! -f "$pkg/package.json" || ! -d "$src" ]]; then
  echo "vendor-govuk-frontend: $src not found; run 'npm ci' at the repository root first" >&2
  exit 1
fi

version="$(node -p "require(process.argv[1]).version" "$pkg/package.json")"
case "$version" in
  6.*) ;;
  *) echo "vendor-govuk-frontend: expected govuk-frontend 6.x, found $version" >&2; exit 1 ;;
esac

for f in govuk-frontend.min.css govuk-frontend.min.js assets/manifest.json assets/fonts assets/images; do
  if [[ ! -e "$src/$f" ]]; then
    echo "vendor-govuk-frontend: $src/$f is missing; has the package layout changed?" >&2
    exit 1
  fi
done

mkdir -p "$dest"

# Remove what a previous run vendored (only the paths this script owns).
rm -rf "$dest/fonts" "$dest/images" "$dest/rebrand"
rm -f "$dest/manifest.json" "$dest/govuk-frontend.min.css" "$dest/govuk-frontend.min.js"

# CSS and JS. The trailing sourceMappingURL comments are dropped because the
# .map files are not vendored (it would only cause 404s in developer tools).
sed -e 's|/\*# sourceMappingURL=[^*]*\*/||' "$src/govuk-frontend.min.css" >"$dest/govuk-frontend.min.css"
sed -e 's|//# sourceMappingURL=.*$||' "$src/govuk-frontend.min.js" >"$dest/govuk-frontend.min.js"

# Fonts, images, manifest (and the rebrand/ folder if this version has one).
cp -R "$src/assets/fonts" "$dest/fonts"
cp -R "$src/assets/images" "$dest/images"
cp "$src/assets/manifest.json" "$dest/manifest.json"
if [[ -d "$src/assets/rebrand" ]]; then
  cp -R "$src/assets/rebrand" "$dest/rebrand"
fi
find "$dest/fonts" "$dest/images" -name '*.map' -delete
[[ -d "$dest/rebrand" ]] && find "$dest/rebrand" -name '*.map' -delete

# Licence. The npm package does not ship a LICENSE file (it lives at the root of
# the upstream repository), so fall back to the upstream text (MIT) if absent.
license_src=""
for candidate in LICENSE LICENSE.txt LICENSE.md LICENCE LICENCE.txt; do
  if [[ -f "$pkg/$candidate" ]]; then license_src="$pkg/$candidate"; break; fi
done
{
  if [[ -n "$license_src" ]]; then
    cat "$license_src"
  else
    cat <<'LICENSE_TEXT'
The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENSE_TEXT
  fi
  cat <<'NOTE'

----
Vendored from the npm package govuk-frontend (https://github.com/alphagov/govuk-frontend).
The code is MIT-licensed as above. The fonts (GDS Transport) and images (including
the crown) are (c) Crown copyright. The font files carry the notice "Copyright (c)
2011 by Margaret Calvert & Henrik Kubel. All rights reserved. The font has been
customised for exclusive use on gov.uk."
NOTE
} >"$dest/govuk-frontend-LICENSE.txt"

cat >"$dest/README.md" <<README
# Static assets

The GOV.UK Frontend files in this folder are vendored from the npm package
[govuk-frontend](https://www.npmjs.com/package/govuk-frontend) version **$version**:

- \`govuk-frontend.min.css\` (its \`sourceMappingURL\` comment removed)
- \`govuk-frontend.min.js\` (an ES module; its \`sourceMappingURL\` comment removed)
- \`fonts/\`, \`images/\` and \`manifest.json\` (from \`dist/govuk/assets/\`)

The code is MIT-licensed (see \`govuk-frontend-LICENSE.txt\`); the fonts and images
are © Crown copyright.

They are embedded in the server binary and served from \`/assets/...\`, so nothing is
fetched from a third party at run time. The CSS refers to \`/assets/fonts/...\` and
\`/assets/images/...\`, so this folder must be served at \`/assets/\`.

\`init.js\` is ours, not vendored: it marks the page as JavaScript-enabled and calls
GOV.UK Frontend's \`initAll()\`. It is loaded as \`<script type="module"
src="/assets/init.js">\` because the Content Security Policy forbids inline script.

Do not edit the vendored files by hand. To refresh them, update the pinned
\`govuk-frontend\` version in the root \`package.json\`, run \`npm install\` to update
\`package-lock.json\`, then:

\`\`\`sh
npm ci && scripts/vendor-govuk-frontend.sh
\`\`\`
README

# Sanity check: every url(...) in the CSS must resolve to a vendored file.
missing=0
while IFS= read -r url; do
  rel="${url#/assets/}"
  if [[ "$rel" == "$url" || ! -f "$dest/$rel" ]]; then
    echo "vendor-govuk-frontend: CSS refers to $url, which is not in $dest" >&2
    missing=1
  fi
done < <(grep -o 'url([^)]*)' "$dest/govuk-frontend.min.css" | sed -e 's/^url(//' -e 's/)$//' -e 's/^["'\'']//' -e 's/["'\'']$//' | grep -v '^data:' | sort -u)
if [[ "$missing" -ne 0 ]]; then exit 1; fi

echo "vendor-govuk-frontend: govuk-frontend $version -> ${dest#"$repo_root"/} ($(du -sh "$dest" | cut -f1))"
