"""Schema-driven fuzzing of minigram-server with Schemathesis.

For each backend (the embedded store; PostgreSQL with two streaming
replicas behind the replica router, as `--replicas 2` runs it) this starts
the server built from the tree on a free loopback port over a fresh data
directory, validates the spec it serves as OpenAPI 3.1, signs up a user and
posts a photo (so authenticated operations and `/uploads/{file}` reach real
data), then runs Schemathesis with every check, a fixed seed and a bounded
number of examples. Any failure, any 5xx, any response that breaks the spec
fails the run.

`POST /api/logout` revokes the token it is sent, which would turn every
later authenticated request into a 401, so it runs alone in a second pass
with a token of its own.

Run through scripts/schemathesis.sh, which builds the server and provides
the pinned virtual environment.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

import requests

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemathesis.toml")

BACKENDS = {
    "embedded": [],
    "replicas": ["--replicas", "2"],
}


def log(message):
    print(f"==> {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png(width, height):
    """A valid grey PNG of the given size."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Server:
    """minigram-server on a free port over `data_dir`, stopped by pid."""

    def __init__(self, binary, backend, data_dir, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            binary,
            "--port",
            str(self.port),
            "--data-dir",
            data_dir,
            *BACKENDS[backend],
        ]
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"error: minigram-server exited with {self.process.returncode}; see {self.log.name}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise SystemExit(f"error: minigram-server not healthy after {timeout_s} s; see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def sign_up(url, name):
    response = requests.post(
        f"{url}/api/register",
        json={"username": name, "email": f"{name}@example.com", "password": "correct horse battery"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["token"]


def post_photo(url, token):
    response = requests.post(
        f"{url}/api/photos",
        headers={"Authorization": f"Bearer {token}"},
        files={"photo": ("seed.png", png(4, 3), "image/png")},
        data={"caption": "seed photo"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def validate_spec(url, work_dir, venv_bin):
    spec_path = os.path.join(work_dir, "openapi.json")
    spec = requests.get(f"{url}/api/openapi.json", timeout=10)
    spec.raise_for_status()
    with open(spec_path, "wb") as f:
        f.write(spec.content)
    if spec.json().get("openapi") != "3.1.0":
        raise SystemExit(f"error: the spec says openapi {spec.json().get('openapi')!r}, not 3.1.0")
    subprocess.run([os.path.join(venv_bin, "openapi-spec-validator"), spec_path], check=True)


def schemathesis(venv_bin, url, token, seed, examples, work_dir, label, extra):
    """One Schemathesis run; returns its exit status."""
    # The committed settings, plus real values for what random generation
    # cannot guess (the media file).
    config_path = os.path.join(work_dir, f"schemathesis-{label}.toml")
    with open(CONFIG) as committed, open(config_path, "w") as f:
        f.write(committed.read())
        f.write(extra["config"])
    command = [
        os.path.join(venv_bin, "schemathesis"),
        "--config-file",
        config_path,
        "run",
        f"{url}/api/openapi.json",
        "--seed",
        str(seed),
        "--max-examples",
        str(examples),
        "--generation-database",
        "none",
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-dir",
        os.path.join(work_dir, f"report-{label}"),
        "--no-color",
        *extra["args"],
    ]
    log(f"schemathesis ({label}): seed {seed}, {examples} examples per operation")
    # Run from the scratch directory: Schemathesis keeps a cache in
    # `.schemathesis/` of its working directory, which must not land in the tree.
    return subprocess.run(command, cwd=work_dir).returncode


def run_backend(args, backend, venv_bin):
    work_dir = tempfile.mkdtemp(prefix=f"minigram-schemathesis-{backend}-")
    # Traversable by the `postgres` user, who runs the dev cluster beneath.
    os.chmod(work_dir, 0o755)
    server = Server(args.server, backend, os.path.join(work_dir, "data"), os.path.join(work_dir, "server.log"))
    log(f"{backend}: minigram-server at {server.url} (log: {server.log.name})")
    failed = False
    try:
        server.wait_ready(timeout_s=120)
        validate_spec(server.url, work_dir, venv_bin)
        token = sign_up(server.url, "schemathesis")
        photo = post_photo(server.url, token)
        config = f'\n[parameters]\nfile = "{photo["filename"]}"\n'
        main = schemathesis(
            venv_bin, server.url, token, args.seed, args.examples, work_dir, f"{backend}-main",
            {"config": config, "args": ["--exclude-operation-id", "logout"]},
        )
        logout_token = sign_up(server.url, "schemathesis_logout")
        logout = schemathesis(
            venv_bin, server.url, logout_token, args.seed, args.examples, work_dir, f"{backend}-logout",
            {"config": config, "args": ["--include-operation-id", "logout"]},
        )
        failed = main != 0 or logout != 0
        http = requests.get(f"{server.url}/api/metrics", timeout=10).json()["http"]
        # A second opinion beside Schemathesis's `not_a_server_error`: the
        # server's own count of 5xx answers since start.
        log(
            f"{backend}: the server answered {http['requests_total']} requests, "
            f"{http['client_errors_total']} with 4xx, {http['server_errors_total']} with 5xx"
        )
        if http["server_errors_total"]:
            failed = True
    finally:
        server.stop()
    if failed:
        log(f"{backend}: FAILED; reports, spec and server log kept in {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return not failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the minigram-server binary")
    parser.add_argument("--venv-bin", required=True, help="the virtual environment's bin directory")
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--examples", type=int, default=50, help="examples per operation and phase")
    args = parser.parse_args()
    # Absolute: Schemathesis runs from a scratch directory.
    args.server = os.path.abspath(args.server)
    args.venv_bin = os.path.abspath(args.venv_bin)
    backends = list(BACKENDS) if args.backend == "all" else [args.backend]
    results = {backend: run_backend(args, backend, args.venv_bin) for backend in backends}
    log("schemathesis: " + ", ".join(f"{b} {'passed' if ok else 'FAILED'}" for b, ok in results.items()))
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
