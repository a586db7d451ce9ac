#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8-3.10 only).
set -u
candidates=(python3.10)
[ -n "${PYENV_ROOT:-}" ] && candidates+=("$PYENV_ROOT"/versions/3.10*/bin/python3.10)
candidates+=("$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10)
for candidate in "${candidates[@]}"; do
  if out=$("$candidate" -c 'import sys; print(sys.executable) if sys.version_info[:2] == (3, 10) else sys.exit(1)' 2>/dev/null); then
    echo "$out"
    exit 0
  fi
done
cat >&2 <<'MSG'
No Python 3.10 interpreter found. Rasa 3.6 needs Python 3.10 (3.11 is not supported).
Install one, then run make again, for example:
  - pyenv:   pyenv install 3.10 && pyenv shell 3.10
  - Debian/Ubuntu: apt-get install python3.10 python3.10-venv (deadsnakes PPA on Ubuntu)
  - or set PYTHON310=/path/to/python3.10
MSG
exit 1
