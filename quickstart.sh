#!/usr/bin/env bash
# Quick start: set up a virtual environment in .venv, then build the bundled
# samples with AddressSanitizer, run them on their inputs, and triage the logs.
set -euo pipefail
cd "$(dirname "$0")"

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

.venv/bin/harness build --asan
.venv/bin/harness run
.venv/bin/harness triage logs/
