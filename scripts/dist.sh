#!/usr/bin/env bash
# The release layout (`make dist`, after `make site server`): one directory and its tarball.
#   portal/bin/portal           the binary (release build)
#   portal/site/                the built site (Trunk's bundle + public/)
#   portal/deploy/              the systemd unit, an example environment file, the Dockerfile
#   portal/docs/operations.md   how to install, configure, upgrade, back up and restore
#   portal/RELEASE              version and commit
# DIST_DIR (default target/dist) is where it goes: $DIST_DIR/portal and
# $DIST_DIR/portal-<version>-<commit>.tar.gz. Nothing in it depends on this checkout's path.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${DIST_DIR:-target/dist}")
# DIST_BIN: the binary to ship (default the release build; make test's slice uses the debug one).
bin=${DIST_BIN:-target/release/portal}
[ -x "$bin" ] || { echo "$bin is missing (make server)" >&2; exit 1; }
[ -f target/site/pkg/assets.json ] || { echo "target/site is missing (make site)" >&2; exit 1; }
version=$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
rel="$out/portal"
rm -rf "$rel"; mkdir -p "$rel/bin" "$rel/deploy" "$rel/docs"
install -m 0755 "$bin" "$rel/bin/portal"
cp -r target/site "$rel/site"
cp deploy/portal.service deploy/portal.env.example deploy/Dockerfile "$rel/deploy/"
cp -r deploy/prometheus "$rel/deploy/"
cp docs/operations.md "$rel/docs/"
printf 'version %s\ncommit %s\nbuilt %s\n' "$version" "$commit" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$rel/RELEASE"
tarball="$out/portal-$version-$commit.tar.gz"
tar -C "$out" -czf "$tarball" portal
echo "$rel"
echo "$tarball ($(du -h "$tarball" | cut -f1))"
