#!/usr/bin/env bash
# Runs the models/ pytest suite with Debian's python3 (torch and onnx come from apt, not pip).
# Called by `mvn verify` through models/pom.xml. Without the packages it says so and skips,
# unless BLOOMSTREAM_REQUIRE_PYTHON=1 (set by .ci/run), where a missing package is a failure.
set -euo pipefail
PY=/usr/bin/python3
need="apt-get install -y python3-torch python3-onnx python3-pytest"
if ! "$PY" -c 'import torch, onnx, pytest' 2>/dev/null; then
  if [[ "${BLOOMSTREAM_REQUIRE_PYTHON:-0}" == "1" ]]; then
    echo "ERROR: the models/ tests need Debian's torch, onnx and pytest: $need" >&2
    exit 1
  fi
  echo "SKIPPED: models/ Python tests (torch/onnx/pytest not installed; run: $need)"
  exit 0
fi
cd "$(dirname "$0")"
exec "$PY" -m pytest -q
