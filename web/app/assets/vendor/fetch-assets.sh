#!/usr/bin/env bash
# Fetches the reference frontend's libraries again from the npm registry, with their
# licences: the graphql-ws client (its UMD build, for subscriptions), marked (its ES module,
# to show agreements written in Markdown) and uqr (its ES module: the staff console draws a
# new member's second factor as a QR code). Pinned; bump a version here, run this, and
# commit what it wrote. Run from anywhere; writes into the folder of this script.
# Needs npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fetch() {  # package@version, then pairs of (path inside the package, file name here)
  local spec="$1"; shift
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  local tarball
  tarball="$(ls "$work"/*.tgz)"
  mkdir -p "$work/unpacked"
  tar -xzf "$tarball" -C "$work/unpacked"
  while [ "$#" -gt 0 ]; do
    cp "$work/unpacked/package/$1" "$here/$2"
    shift 2
  done
  rm -rf "$work/unpacked" "$tarball"
}
fetch graphql-ws@6.4.2 umd/graphql-ws.min.js graphql-ws.min.js LICENSE.md graphql-ws.LICENSE.md
fetch marked@18.2.1 lib/marked.esm.js marked.esm.js LICENSE marked.LICENSE.md
fetch uqr@0.1.3 dist/index.mjs uqr.esm.js LICENSE uqr.LICENSE.md
echo "Frontend libraries written to $here"
