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

# Stops (and disables) a system service a package install just started:
# the project runs its own instances, on ports of its choosing.
stop_system_service() {
  if command -v service >/dev/null 2>&1; then
    service "$1" stop >/dev/null 2>&1 || true
  fi
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now "$1" >/dev/null 2>&1 || true
  fi
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
  stop_system_service redis-server
}

# patroni and etcd, for minigram's devcluster HA cluster (HaCluster: one
# etcd member and PostgreSQL nodes managed by Patroni; needs PostgreSQL too,
# see ensure_postgresql). The Debian packages may start system services;
# the tests run their own etcd and Patroni on free ports, so services the
# install just started are stopped again.
ensure_patroni() {
  if command -v patroni >/dev/null 2>&1 && command -v etcd >/dev/null 2>&1; then
    return 0
  fi
  apt_install patroni etcd-server
  stop_system_service patroni
  stop_system_service etcd
}

# Chromium and chromedriver, for minigram-server's browser tests
# (tests/api/browser.rs drives a headless Chromium through a chromedriver it
# starts itself; no service is installed).
ensure_chromium() {
  if { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } \
    && command -v chromedriver >/dev/null 2>&1; then
    return 0
  fi
  apt_install chromium chromium-driver
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
  stop_system_service nginx
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

# python3 with the venv module, for the pinned Schemathesis environment of
# scripts/schemathesis.sh (Debian splits venv into python3-venv).
ensure_python_venv() {
  if command -v python3 >/dev/null 2>&1 && python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    return 0
  fi
  apt_install python3 python3-venv
}

# prometheus and promtool, for scripts/check-prometheus.sh (Debian's
# `prometheus` package has both). The package starts a system service on
# port 9090; the checks run their own Prometheus, so that one is stopped.
ensure_prometheus() {
  if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
    return 0
  fi
  apt_install prometheus
  stop_system_service prometheus
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
