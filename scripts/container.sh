#!/bin/sh
# The container image's steps, in one place. The Dockerfile runs `install` when it builds the
# image and `start` / `healthcheck` when a container runs; tests/test_container.py runs the
# same steps in a fresh virtualenv, since no container engine runs where Watcher is tested.
#
#   container.sh install VENV SOURCE   the package and its locked dependencies (no dev ones),
#                                      in a new virtualenv made by $PYTHON (default python3)
#   container.sh start ARGS...         `watcher ARGS...` (serve, db upgrade, jobs run, ...)
#   container.sh healthcheck           exit 0 when this container's API answers /ready
set -eu

case "${1:-}" in
  install)
    venv="$2"
    source="$3"
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/pip" install --quiet -c "$source/requirements.lock" "$source"
    ;;
  start)
    shift
    exec watcher "$@"
    ;;
  healthcheck)
    # Slim images have no curl; Python's standard library is there.
    exec python3 -c '
import os, sys, urllib.request
url = "http://127.0.0.1:%s/ready" % os.environ.get("PORT", "8000")
try:
    with urllib.request.urlopen(url, timeout=5) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception as error:
    sys.exit("%s: %s" % (url, error))
'
    ;;
  *)
    echo "usage: container.sh install VENV SOURCE | start ARGS... | healthcheck" >&2
    exit 2
    ;;
esac
