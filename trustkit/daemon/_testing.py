"""Start a real daemon process on 127.0.0.1 for tests and benchmarks (not a public API)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from trustkit.daemon.config import load_config
from trustkit.daemon.state import Daemon

__all__ = ["RunningDaemon", "free_port", "init_data_dir", "start_daemon"]

PASSPHRASE = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _toml(values: dict[str, Any]) -> str:
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())


def init_data_dir(directory: Path, **options: Any) -> tuple[Path, str]:
    """Write a config file, initialise the store and return (config path, root token)."""
    directory.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {"data_dir": str(directory), "port": free_port(), "scrypt_n": 1024,
                              "log_level": "warning"}
    values.update(options)
    config_path = directory / "daemon.toml"
    config_path.write_text(_toml(values))
    config = load_config(path=str(config_path), env={})
    daemon = Daemon.from_config(config, create=True)
    try:
        if not daemon.keystore.initialized:
            daemon.keystore.initialize(PASSPHRASE, scrypt_n=1024)
        token, _ = daemon.auth.create_token(["root"], display_name="root")
    finally:
        daemon.close()
    (directory / "passphrase").write_text(PASSPHRASE + "\n")
    return config_path, token


@dataclass
class RunningDaemon:
    config_path: Path
    url: str
    token: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-Vault-Token": self.token}, timeout=30.0, **kwargs)

    def unseal(self) -> None:
        with self.client() as client:
            response = client.put("/v1/sys/unseal", json={"key": PASSPHRASE})
            response.raise_for_status()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return int(self.process.returncode)

    def restart(self) -> None:
        self.stop()
        fresh = start_daemon(self.config_path, self.token, argv=self.extra.get("argv"))
        self.process, self.url = fresh.process, fresh.url


def start_daemon(config_path: Path, token: str, *, unseal: bool = True, wait: float = 20.0,
                 env: dict[str, str] | None = None, argv: list[str] | None = None) -> RunningDaemon:
    """Run ``python -m trustkit.daemon.server CONFIG`` (or ``argv``) and wait until it answers."""
    config = load_config(path=str(config_path), env={})
    scheme = "https" if config.tls_cert else "http"
    url = f"{scheme}://127.0.0.1:{config.port}"
    data_dir = Path(config.data_dir)
    log_path = data_dir / "daemon.log"
    with open(log_path, "ab") as log:
        command = argv or [sys.executable, "-m", "trustkit.daemon.server", str(config_path)]
        process = subprocess.Popen(command, stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    running = RunningDaemon(config_path, url, token, process, data_dir, log_path,
                            extra={"argv": argv} if argv else {})
    deadline = time.monotonic() + wait
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"daemon exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", int(config.port)), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline:
                running.stop(signal.SIGKILL)
                raise RuntimeError("daemon did not start listening") from None
            time.sleep(0.05)
    if unseal and not config.unseal_passphrase_file and scheme == "http":
        running.unseal()
    return running
