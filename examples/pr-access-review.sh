#!/usr/bin/env bash
# Access review of a pull request: synthesize the base and the head, diff what each domain's key
# lets whom do, write the markdown for a pull-request comment.
#
#   examples/pr-access-review.sh BASE_REF [OUTPUT.md]
#
# Run from the root of the CDK app's repository, checked out at the head of the pull request
# (the base ref must be fetched: `git fetch origin main`). The base is checked out in a temporary
# git worktree, each side is synthesized with `cdk synth -o`, and
# `cdk-partition diff BASE HEAD --format markdown` is written to OUTPUT.md (default
# access-review.md). Post it with:
#
#   gh pr comment "$PR_NUMBER" --body-file access-review.md
#
# Environment: FAIL_ON (none|errors|widened|any, default none) is passed to --fail-on, so the
# script's exit code gates the pull request; CDK (default `npx cdk`) and CDK_PARTITION (default
# `cdk-partition`) name the commands; SARIF=FILE also writes the diff as SARIF for code scanning.
set -euo pipefail

base_ref=${1:?usage: pr-access-review.sh BASE_REF [OUTPUT.md]}
output=${2:-access-review.md}
fail_on=${FAIL_ON:-none}
cdk=${CDK:-npx cdk}
cdk_partition=${CDK_PARTITION:-cdk-partition}

work=$(mktemp -d)
cleanup() {
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

git worktree add --quiet --detach "$work/base" "$base_ref"
(cd "$work/base" && $cdk synth --quiet --no-notices -o "$work/base.out" >/dev/null)
$cdk synth --quiet --no-notices -o "$work/head.out" >/dev/null

if [[ -n "${SARIF:-}" ]]; then
  $cdk_partition diff "$work/base.out" "$work/head.out" --format sarif --output "$SARIF"
fi
status=0
$cdk_partition diff "$work/base.out" "$work/head.out" --format markdown --output "$output" \
  --fail-on "$fail_on" || status=$?
echo "access review written to $output (cdk-partition diff exit code $status)"
exit "$status"
