# Finds or installs the services the tests and the dev cluster need.
# Sourced by scripts/test.sh; installs only when running as root with apt-get
# (CI and fresh machines), and otherwise says exactly what to install.

apt_updated=0

apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $1 is missing; install the Debian package(s): $*" >&2
    echo "       (e.g. sudo apt-get install -y $*)" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    echo "==> apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  echo "==> apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup): on PATH or under
# /usr/lib/postgresql/<version>/bin, where minigram's devcluster looks.
ensure_postgresql() {
  if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    return 0
  fi
  apt_install postgresql
}

# redis-server, for minigram's devcluster Redis (cache and rate-limit tests).
# The Debian package starts a system service on port 6379; the tests start
# their own servers, so a service the install just started is stopped again.
ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then
    return 0
  fi
  apt_install redis-server
  if command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
  fi
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
  fi
}

# nginx, the load balancer in front of stage 3 of `minigram-bench journey`.
# The Debian package starts a system service on port 80; the journey runs its
# own nginx (`daemon off`, config in its output directory), so a service the
# install just started is stopped again.
ensure_nginx() {
  if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    return 0
  fi
  apt_install nginx
  if command -v service >/dev/null 2>&1; then
    service nginx stop >/dev/null 2>&1 || true
  fi
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
}

# cargo-hack, for the feature-matrix check in .ci/run (every feature of every
# crate built on its own). Installed from crates.io when missing.
ensure_cargo_hack() {
  if cargo hack --version >/dev/null 2>&1; then
    return 0
  fi
  echo "==> cargo install cargo-hack --locked"
  cargo install cargo-hack --locked --quiet
}

# cargo-fuzz, for scripts/fuzz.sh (the coverage-guided fuzz targets in
# fuzz/, docs/fuzzing.md). This release installed from crates.io when missing.
CARGO_FUZZ_VERSION=0.13.2
ensure_cargo_fuzz() {
  if cargo fuzz --version >/dev/null 2>&1; then
    return 0
  fi
  echo "==> cargo install cargo-fuzz --version $CARGO_FUZZ_VERSION --locked"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --quiet
}
