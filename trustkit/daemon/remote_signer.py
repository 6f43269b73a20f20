"""``RemoteSigner``: a :class:`trustkit.pki.signer.Signer` whose key stays in the signing daemon.

Formats (``stamp_ofd``, ``stamp_pdf``, CMS, licences, tokens) take a ``Signer``; this one sends
the bytes to ``POST /v1/transit/sign/{key}`` and returns the DER signature.  For an ``sm2`` key
the daemon computes SM2 with SM3 over Z(default ID 1234567812345678) || data, exactly what
:meth:`LocalSigner.sign` does (GM/T 0009 clause 10), so a seal or certificate signed remotely
verifies like a local one.  P-256 keys sign ECDSA-SHA256 (DER); RSA keys PKCS#1 v1.5 SHA-256
(what :func:`trustkit.pki.algorithms.signature_algorithm` announces for RSA).

Only the client side is imported here (httpx), not the server stack.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from asn1crypto import algos
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from trustkit import oids
from trustkit.errors import InvalidSignature, TrustkitError
from trustkit.pki import algorithms
from trustkit.pki.certificate import Certificate
from trustkit.primitives import sm2

__all__ = ["RemoteSigner", "RemoteSignerError"]

_SIGNATURE = re.compile(r"^(?:vault|tk):v([0-9]+):([A-Za-z0-9+/=]+)$")


class RemoteSignerError(TrustkitError):
    """The daemon could not be reached, refused the request, or answered something unusable."""

    code = "remote_signer_error"


class RemoteSigner:
    """Sign through a trustkit daemon (or any Vault transit endpoint holding the key).

    :param url: the daemon, e.g. ``https://127.0.0.1:8200``.
    :param token: an API token whose policy allows ``sign`` on ``key_name``.
    :param key_name: the daemon key.
    :param certificate: the certificate of that key (its public key is checked on first use).
    :param chain: issuer certificates, nearest first.
    :param key_version: sign with this version (default: the latest).
    :param verify: TLS verification (``True``, ``False`` or a CA bundle path); ``cert``: a client
        certificate for mTLS (path or (cert, key) paths).
    """

    def __init__(self, url: str, token: str, key_name: str, certificate: Certificate, *,
                 chain: tuple[Certificate, ...] = (), key_version: int | None = None, timeout: float = 30.0,
                 verify: bool | str = True, cert: str | tuple[str, str] | None = None,
                 mount: str = "transit") -> None:
        import httpx

        self._url = url.rstrip("/")
        self._key_name = key_name
        self._certificate = certificate
        self._chain = tuple(chain)
        self._key_version = key_version
        self._mount = mount
        public = certificate.public_key
        if isinstance(public, sm2.PublicKey):
            self._algorithm = oids.SM2_SIGN_WITH_SM3
            self._options: dict[str, Any] = {}
        elif isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
            self._algorithm = algorithms.ECDSA_WITH_SHA256
            self._options = {"hash_algorithm": "sha2-256", "marshaling_algorithm": "asn1"}
        elif isinstance(public, rsa.RSAPublicKey):
            self._algorithm = algorithms.SHA256_WITH_RSA
            self._options = {"hash_algorithm": "sha2-256", "signature_algorithm": "pkcs1v15"}
        else:
            raise TypeError("RemoteSigner supports SM2, P-256 and RSA certificates")
        self._client = httpx.Client(base_url=self._url, timeout=timeout, verify=verify, cert=cert,
                                    headers={"X-Vault-Token": token})

    @property
    def certificate(self) -> Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[Certificate, ...]:
        return self._chain

    def signature_algorithm(self) -> algos.SignedDigestAlgorithm:
        if self._algorithm == algorithms.SHA256_WITH_RSA:
            from asn1crypto import core

            return algos.SignedDigestAlgorithm({"algorithm": self._algorithm, "parameters": core.Null()})
        return algos.SignedDigestAlgorithm({"algorithm": self._algorithm})

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        try:
            response = self._client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise RemoteSignerError(f"signing daemon unreachable at {self._url}: {exc}") from None
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code != 200:
            errors = payload.get("errors") if isinstance(payload, dict) else None
            raise RemoteSignerError(f"signing daemon answered {response.status_code}: {errors or response.text[:200]}")
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
            raise RemoteSignerError("signing daemon answered without a data object")
        data: dict[str, Any] = payload["data"]
        return data

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with the daemon key; the result is checked against the certificate.

        :raises RemoteSignerError: transport or daemon error.
        :raises InvalidSignature: the daemon's signature does not verify with the certificate's key
            (wrong key name or certificate).
        """
        body: dict[str, Any] = {"input": base64.b64encode(data).decode("ascii"), **self._options}
        if self._key_version is not None:
            body["key_version"] = self._key_version
        answer = self._post(f"/v1/{self._mount}/sign/{self._key_name}", body)
        match = _SIGNATURE.match(str(answer.get("signature", "")))
        if match is None:
            raise RemoteSignerError("signing daemon returned a malformed signature string")
        signature = base64.b64decode(match.group(2))
        self._check(signature, data)
        return signature

    def _check(self, signature: bytes, data: bytes) -> None:
        try:
            algorithms.verify_vartime(self._certificate.public_key, self._algorithm, signature, data)
        except InvalidSignature:
            raise InvalidSignature("the daemon's signature does not match the certificate: wrong key or "
                                   "certificate for this RemoteSigner") from None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RemoteSigner:  # noqa: PYI034 - Python 3.10 has no typing.Self
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RemoteSigner({self._url!r}, key={self._key_name!r}, {self._certificate.subject_text!r})"
