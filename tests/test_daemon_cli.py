"""``trustkit daemon init`` / ``trustkit audit verify`` (through cli/daemon.py's ``register``, which
the lead wires into cli/main.py) and the configuration's precedence: defaults < TOML < env < flags."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import pytest
from trustkit_cli import daemon as daemon_cli
from trustkit_cli._output import ArgumentParser, run

from trustkit.daemon.audit import AuditLog, FileAuditSink
from trustkit.daemon.config import load_config
from trustkit.errors import ConfigurationError, SecurityWarning


def cli(*argv: str) -> int:
    parser = ArgumentParser(prog="trustkit")
    parser.add_argument("--json", action="store_true")
    daemon_cli.register(parser.add_subparsers(dest="command"))
    args: argparse.Namespace = parser.parse_args(list(argv))
    return run(args.handler, args)


def test_init_writes_the_root_token_once_and_refuses_a_second_init(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pass").write_text("a long passphrase\n")
    base = ["daemon", "init", "--data-dir", str(tmp_path / "d"), "--scrypt-n", "1024", "--passphrase-file",
            str(tmp_path / "pass")]
    assert cli(*base, "--token-out", str(tmp_path / "root.token")) == 0
    token = (tmp_path / "root.token").read_text().strip()
    assert token.startswith("tk.") and (tmp_path / "root.token").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "d" / "pepper").stat().st_mode & 0o777 == 0o600
    capsys.readouterr()
    assert cli(*base, "--json") == 2
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and "already initialised" in out["error"]["message"]


def test_audit_verify_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(FileAuditSink(str(path)), b"k" * 32)
    for i in range(4):
        log.write({"i": i})
    log.close()
    assert cli("audit", "verify", str(path)) == 0
    assert "valid: 4 records" in capsys.readouterr().out
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[2], lines[1], lines[3]]) + "\n")
    assert cli("audit", "verify", str(path), "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["bad_index"] == 1


def test_config_precedence_and_checks(tmp_path: Path) -> None:
    toml = tmp_path / "daemon.toml"
    toml.write_text('[daemon]\nport = 8300\nmax_body_bytes = 4096\nstorage = "sqlite"\n')
    config = load_config(path=str(toml), env={"TRUSTKIT_DAEMON_PORT": "8400", "TRUSTKIT_DAEMON_WORKERS": "2"},
                         flags={"port": 8500, "host": None})
    assert config.port == 8500 and config.sources["port"] == "flag"
    assert config.workers == 2 and config.sources["workers"] == "environment"
    assert config.max_body_bytes == 4096 and config.sources["max_body_bytes"] == str(toml)
    assert config.host == "127.0.0.1" and config.sources["host"] == "default"
    for bad in ('nope = 1\n', 'port = "x"\n', 'storage = "mysql"\n', 'tls_client_ca = "ca.pem"\n'):
        toml.write_text(bad)
        with pytest.raises(ConfigurationError):
            load_config(path=str(toml), env={})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_config(flags={"host": "0.0.0.0"}, env={})
    assert any(issubclass(w.category, SecurityWarning) for w in caught)
