#!/usr/bin/env bash
# Installs everything MIT Trainer needs into ./.venv (idempotent).
# As root on Debian/Ubuntu it also installs the system packages (PortAudio, PulseAudio,
# libsndfile, PostgreSQL for the store tests, Qt's runtime libraries, festival and espeak-ng
# for realistic test voices). Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1

APT_PACKAGES=(libportaudio2 libsndfile1 pulseaudio pulseaudio-utils libasound2-plugins
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 fonts-dejavu-core
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1)  # Qt's xcb plugin: the window on an X desktop
if [[ $DEV == 1 ]]; then
  APT_PACKAGES+=(postgresql festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts espeak-ng sox xvfb xauth)
fi

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    if [[ $(id -u) == 0 ]]; then
      echo "setup: installing Debian packages: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo apt-get update -qq
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "setup: warning: not root, cannot install Debian packages: ${missing[*]}" >&2
    fi
  fi
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [[ $DEV == 1 ]]; then
  .venv/bin/python -m pip install -q -e '.[dev]'
else
  .venv/bin/python -m pip install -q -e .
fi
# Bytecode for the trainer's own modules (an editable install has none, and where
# PYTHONDONTWRITEBYTECODE is set Python would compile every module at every start: ~0.4 s in 1-18 ms
# pieces that hold the GIL, on the start-up worker beside the window). Stale files are simply ignored.
.venv/bin/python -m compileall -q mit_trainer >/dev/null
# The patient's screen in other languages: Qt .ts sources compiled to .qm beside them.
for ts in assets/i18n/*.ts; do
  .venv/bin/pyside6-lrelease -silent "$ts" -qm "${ts%.ts}.qm"
done
