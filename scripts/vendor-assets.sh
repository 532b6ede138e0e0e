#!/usr/bin/env bash
# Refresh the web console's vendored JavaScript and CSS from the npm registry.
#
# Each line of ASSETS is: package version destination file...; the files are copied with the
# package's licence into <destination>/<package>-<version>/ (a scoped @scope/name becomes
# scope-name), and <destination>/VERSIONS records what came from where (name, version, the
# tarball's integrity, each file's SHA-256).
# Bump a version here, run `scripts/vendor-assets.sh`, and commit the result; delete the old
# version's folder. Needs npm (Debian: apt-get install npm).
set -euo pipefail
cd "$(dirname "$0")/.."

ASSETS=(
  "uplot 1.6.32 src/watcher_server/ui/static/vendor dist/uPlot.iife.min.js dist/uPlot.min.css"
  "cytoscape 3.35.0 src/watcher_server/ui/static/vendor dist/cytoscape.min.js"
  "@dagrejs/dagre 3.1.3 src/watcher_server/ui/static/vendor dist/dagre.min.js"
  # dagre's bundle holds its graph library: only its licence is needed.
  "@dagrejs/graphlib 4.0.6 src/watcher_server/ui/static/vendor"
  "axe-core 4.14.1 tests/ui/vendor axe.min.js"
  # /scalar. The package ships no licence file: its package.json names the MIT licence.
  "@scalar/api-reference 1.76.4 src/watcher_server/system/static/vendor dist/browser/standalone.js package.json"
)
LICENCE_FILES=(LICENSE LICENSE.md LICENSE.txt LICENCE COPYING LICENSE-3RD-PARTY.txt)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
declare -A manifests=()

for entry in "${ASSETS[@]}"; do
  read -r package version destination files <<<"$entry"
  folder="$(echo "${package#@}" | tr / -)-$version"
  target="$destination/$folder"
  echo "vendoring $package@$version into $target"
  (cd "$work" && npm pack --silent --json "$package@$version" >"$folder.json")
  read -r integrity tarball < <(python3 -c \
    'import json,sys; p=json.load(open(sys.argv[1]))[0]; print(p["integrity"], p["filename"])' \
    "$work/$folder.json")
  rm -rf "$work/package" && tar -xzf "$work/$tarball" -C "$work"
  rm -rf "$target" && mkdir -p "$target"
  copied=()
  for file in $files; do
    cp "$work/package/$file" "$target/"
    copied+=("$(basename "$file")")
  done
  for licence in "${LICENCE_FILES[@]}"; do
    if [[ -f "$work/package/$licence" ]]; then
      cp "$work/package/$licence" "$target/"
      copied+=("$licence")
    fi
  done
  licence_name="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("license", "?"))' \
    "$work/package/package.json")"
  manifest="$work/manifest-$(echo "$destination" | tr '/' '_')"
  {
    echo "$package $version licence=$licence_name integrity=$integrity"
    for file in "${copied[@]}"; do
      echo "  $(sha256sum "$target/$file" | cut -d' ' -f1)  $folder/$file"
    done
  } >>"$manifest"
  manifests["$destination"]="$manifest"
done

for destination in "${!manifests[@]}"; do
  {
    echo "# Vendored from the npm registry by scripts/vendor-assets.sh; do not edit by hand."
    cat "${manifests[$destination]}"
  } >"$destination/VERSIONS"
done
echo "done; review with: git status $(printf '%s ' "${!manifests[@]}")"
