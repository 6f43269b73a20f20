"""The OpenAPI 3.1 description published at ``/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

import trustkit

__all__ = ["openapi_document"]

_TOKEN: list[dict[str, list[str]]] = [{"vaultToken": []}]
# (method, path, operation policy or None, summary)
_OPERATIONS: tuple[tuple[str, str, str | None, str], ...] = (
    ("get", "/v1/sys/health", None, "Health (200 active, 503 sealed, 501 not initialised)"),
    ("get", "/v1/sys/seal-status", None, "Seal status"),
    ("put", "/v1/sys/unseal", None, "Unseal with the operator passphrase: {\"key\": passphrase}"),
    ("put", "/v1/sys/seal", "sys", "Seal: forget the data key and decrypted keys"),
    ("post", "/v1/auth/token/create", "sys", "Create a token: policies, ttl, num_uses, rate_limit"),
    ("get", "/v1/auth/token/lookup-self", "self", "Describe the calling token"),
    ("put", "/v1/sys/policy/{name}", "sys", "Write a policy {\"policy\": {\"rules\": [{keys, operations}]}}"),
    ("get", "/v1/transit/keys", "list", "List keys (LIST or ?list=true)"),
    ("post", "/v1/transit/keys/{name}", "create", ("Create a key: type sm2 | ecdsa-p256 | ecdsa-p384 | rsa-2048 | "
                                                  "rsa-3072 | rsa-4096 | ed25519; exportable")),
    ("get", "/v1/transit/keys/{name}", "read", "Read a key: configuration and public keys per version"),
    ("delete", "/v1/transit/keys/{name}", "delete", "Delete (needs deletion_allowed)"),
    ("post", "/v1/transit/keys/{name}/rotate", "update", "Add a key version"),
    ("post", "/v1/transit/keys/{name}/config", "update",
     "min_decryption_version, min_encryption_version, deletion_allowed, exportable"),
    ("post", "/v1/transit/sign/{name}", "sign", ("Sign input (base64) or batch_input; sm2 = SM2 with SM3 over "
                                              "Z(1234567812345678) || input; returns vault:v<N>:<base64 DER>")),
    ("post", "/v1/transit/verify/{name}", "verify", "Verify input + signature, or batch_input"),
    ("post", "/v1/trustkit/keys/{name}/export-wrapped", "export",
     "Export a key version wrapped for an SM2 public key (exportable keys only)"),
    ("put", "/v1/trustkit/keys/{name}/certificate", "update", "Attach the key's certificate (PEM) and chain"),
    ("put", "/v1/trustkit/seals/{name}", "update", "Store a seal (.esl, base64 DER) by name"),
    ("post", "/v1/trustkit/ofd/stamp/{name}", "stamp", "Stamp an OFD (base64) with key {name} and a stored seal"),
    ("post", "/v1/trustkit/pdf/stamp/{name}", "stamp", "Sign a PDF (base64) with key {name}"),
    ("put", "/v1/trustkit/licence/templates/{name}", "update",
     "Store a licence template {\"template\": JSON object} by name (no background image files)"),
    ("post", "/v1/trustkit/licence/issue/{name}", "stamp",
     "Issue a sealed OFD licence: {record, template, seal, photo?, time?} with key {name} -> {document}"),
    ("post", "/v1/trustkit/timestamp", "timestamp", "RFC 3161 over HTTP: application/timestamp-query -> reply"),
)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (built from the table above, so it cannot drift from the routes list)."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path, operation, summary in _OPERATIONS:
        entry: dict[str, Any] = {
            "summary": summary,
            "responses": {"200": {"description": "OK (Vault envelope: request_id, data, auth, warnings)"},
                          "400": {"description": "invalid request {\"errors\": [...]}"},
                          "403": {"description": "permission denied"},
                          "429": {"description": "rate limited (Retry-After)"},
                          "503": {"description": "sealed, or the audit log is unavailable"}},
        }
        if operation is not None:
            entry["security"] = _TOKEN
            entry["x-trustkit-operation"] = operation
        params = [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                  for part in path.split("/") if part.startswith("{")]
        if params:
            entry["parameters"] = params
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "trustkit signing daemon", "version": trustkit.__version__,
                 "description": "Vault transit-compatible signing API with SM2 (GB/T 32918) keys."},
        "components": {"securitySchemes": {"vaultToken": {"type": "apiKey", "in": "header",
                                                          "name": "X-Vault-Token"}}},
        "paths": paths,
    }
