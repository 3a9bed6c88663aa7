#!/usr/bin/env bash
# Fetches GraphiQL's assets again from the npm registry: the UMD builds of the versions
# Strawberry's own GraphiQL page uses (newer GraphiQL and React dropped UMD builds).
# Run from anywhere; writes into the folder of this script. Needs npm.
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
fetch react@18.2.0 umd/react.production.min.js react.production.min.js
fetch react-dom@18.2.0 umd/react-dom.production.min.js react-dom.production.min.js
fetch js-cookie@3.0.5 dist/js.cookie.min.js js.cookie.min.js
fetch graphiql@3.8.3 graphiql.min.js graphiql.min.js graphiql.min.css graphiql.min.css
fetch @graphiql/plugin-explorer@1.0.2 dist/index.umd.js plugin-explorer.umd.js dist/style.css plugin-explorer.css
echo "GraphiQL assets written to $here"
