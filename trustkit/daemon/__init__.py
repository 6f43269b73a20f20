"""The trustkit signing daemon: sealed key store, Vault transit-shaped API, SM3-chained audit.

Public entry points: :func:`trustkit.daemon.app.create_app`, :class:`trustkit.daemon.state.Daemon`,
:func:`trustkit.daemon.config.load_config`, :func:`trustkit.daemon.audit.verify_audit`,
:class:`trustkit.daemon.remote_signer.RemoteSigner`, :func:`trustkit.daemon.server.serve`,
:func:`trustkit.daemon.identity.build_identity_app` (mounted at ``/identity`` when configured).
The daemon's exceptions live in :mod:`trustkit.errors` (``DaemonError`` and subclasses).
Multi-worker mode (``workers > 1``) needs ``unseal_passphrase_file``: the unseal state is per
worker process (see :mod:`trustkit.daemon.server`).
Submodules are imported on demand so that the client side (``RemoteSigner``) does not pull in
the server stack.
"""

from __future__ import annotations

__all__: list[str] = []
