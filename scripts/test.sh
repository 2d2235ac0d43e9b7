#!/usr/bin/env bash
# The README's test command: start the local servers (and install Chromium for the dashboard's browser tests),
# then run every test project of the solution (the ones that need a Docker engine last: scripts/compose.sh installs and
# starts it).
# Extra arguments go to dotnet test (e.g. --filter FullyQualifiedName~Orchestrator).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/infra.sh up
scripts/infra.sh browser
eval "$(scripts/infra.sh env)"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# A test that hangs is stopped after 10 minutes and named (the longest test takes about 2), instead of holding CI
# until its limit: one run hung 20 minutes in a deadlock inside MassTransit's test harness.
run_tests() { dotnet test "$@" -c Release --blame-hang-timeout 10m --blame-hang-dump-type none 2>&1 | tee -a "$log"; return "${PIPESTATUS[0]}"; }
if [[ $# -gt 0 ]]; then
  run_tests Pipeline.sln "$@"
  status=$?
else
  # The tests that build images and run the compose stack on a Docker engine (Category=Engine) run last and alone: they
  # load both cores for minutes, which would slow every other test's timing.
  run_tests Pipeline.sln --filter "Category!=Engine"
  status=$?
  run_tests tests/Pipeline.Deployment.Tests --no-build --filter "Category=Engine"
  engine=$?
  (( status != 0 )) || status=$engine
fi
set -e

# One closing line over all test projects: "Failed: 0, Passed: 12, ..." per project, summed.
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
