#!/usr/bin/env bash
# Schema-driven fuzzing: Schemathesis (pinned, in a project-local virtual
# environment under target/) against the server built from this tree, on
# the embedded store and on PostgreSQL with two streaming replicas, with
# every check and a fixed seed. See docs/api.md#checking-the-contract.
#
# Usage: scripts/schemathesis.sh [--backend embedded|replicas|all]
#                                [--seed N] [--examples N]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/prerequisites.sh
ensure_postgresql
ensure_python_venv

venv=target/schemathesis-venv
requirements=scripts/schemathesis/requirements.txt
# Rebuilt whenever the pinned requirements change.
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  echo "==> creating $venv from $requirements"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

echo "==> cargo build -p minigram-server"
cargo build -p minigram-server
"$venv/bin/python" scripts/schemathesis/run.py \
  --server "${CARGO_TARGET_DIR:-target}/debug/minigram-server" --venv-bin "$venv/bin" "$@"
