#!/usr/bin/env bash
# Prints a Python >= 3.12 interpreter, preferring the version in .python-version.
set -u
cd "$(dirname "$0")/.."
want=$(cat .python-version 2>/dev/null | tr -d '[:space:]')
candidates=()
[ -n "$want" ] && candidates+=("python${want%.*}" "$HOME/.pyenv/versions/$want/bin/python3")
candidates+=(python3 python3.13 python3.12 python3.14)
for py in "${candidates[@]}"; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    command -v "$py"
    exit 0
  fi
done
echo "error: Python 3.12 or newer is required (this project pins $want in .python-version)." >&2
echo "       Install it (e.g. 'pyenv install $want' or your OS package python3.13) and run again." >&2
exit 1
