# Shared by scripts/demo and scripts/test: make .venv, installing python3-venv when needed and allowed.
VENV="${REQTRACE_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        return
    fi
    rm -rf "$VENV"
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            "$PYTHON" -m venv "$VENV"
        else
            echo "Could not create a virtual environment: run  sudo apt-get install python3-venv  and try again." >&2
            exit 1
        fi
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
}
