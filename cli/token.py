"""``trustkit token issue|verify|jwks``: SSO tokens (JWS/JWT) with SM2 and the standard algorithms.

Keys are PEM/DER files (``trustkit key gen``, ``openssl genpkey``) or JWK JSON files.  ``verify``
exits 0 when the token is valid, 1 when it is invalid (signature, algorithm, expiry, issuer,
audience ...), 2 for unreadable input (a malformed token, a bad key file, a usage error).
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from datetime import datetime, timezone
from typing import Any

from trustkit.errors import DecodeError, InvalidSignature, UnsupportedAlgorithmError
from trustkit.token import (
    ALGORITHMS,
    SM2_ALIASES,
    KeySet,
    PublicJWK,
    TokenValidationError,
    issue,
    load_public_jwk,
    load_signing_jwk,
    verify,
)

from ._output import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    check_stdin_once,
    command,
    emit,
    password_from,
    read_input,
    write_output,
)

__all__ = ["register"]

ALG_CHOICES = sorted(ALGORITHMS - {"HS256"})
MAX_KEY_FILE = 1 << 20


def _group(sub: Any) -> Any:
    parser = sub.add_parser("token", help="issue and verify SSO tokens (JWT with SM2, ES256, RS256, EdDSA ...)",
                            description="Issue and verify JWS/JWT tokens and publish JWKS documents.\n"
                                        "alg SM2 = SM2 with SM3, signer ID 1234567812345678, raw r||s signature.",
                            epilog="Run 'trustkit token COMMAND --help' for the options of each command.",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_subparsers(dest="token_command", metavar="{issue,verify,jwks}", title="commands")
    group.required = True
    return group


def _read_key_file(path: str) -> bytes:
    data = read_input(path, "key")
    if len(data) > MAX_KEY_FILE:
        raise CommandError(f"{path} is larger than {MAX_KEY_FILE} bytes; not a key file")
    return data


def _parse_time(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"{option} {text!r} is neither POSIX seconds nor an ISO 8601 time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def _claims_from(args: argparse.Namespace) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if args.claims:
        try:
            loaded = json.loads(read_input(args.claims, "claims").decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CommandError(f"--claims {args.claims}: not a JSON object ({exc})", code="invalid_input") from None
        if not isinstance(loaded, dict):
            raise CommandError(f"--claims {args.claims}: not a JSON object", code="invalid_input")
        claims.update(loaded)
    for item in args.claim or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CommandError(f"--claim {item!r}: use NAME=VALUE (VALUE may be JSON)")
        try:
            claims[name] = json.loads(value)
        except ValueError:
            claims[name] = value
    now = int(_parse_time(args.now, "--now")) if args.now else int(time.time())
    if args.iss:
        claims["iss"] = args.iss
    if args.sub:
        claims["sub"] = args.sub
    if args.aud:
        claims["aud"] = args.aud[0] if len(args.aud) == 1 else list(args.aud)
    claims.setdefault("iat", now)
    if args.ttl is not None:
        if args.ttl <= 0:
            raise CommandError("--ttl must be a positive number of seconds")
        claims["exp"] = now + args.ttl
    elif "exp" not in claims:
        claims["exp"] = now + 600
    if not args.no_jti:
        claims.setdefault("jti", secrets.token_urlsafe(16))
    return claims


def _issue(args: argparse.Namespace) -> int:
    check_stdin_once(args.key, args.claims)
    key = load_signing_jwk(_read_key_file(args.key), password_from(args), alg=args.alg, kid=args.kid)
    claims = _claims_from(args)
    token = issue(claims, key, typ=args.typ or None)
    if args.out != "-":
        write_output(args.out, (token + "\n").encode("ascii"))
        emit(args, {"token_file": args.out, "alg": key.alg, "kid": key.kid, "claims": claims},
             f"wrote a {key.alg} token (kid {key.kid}) to {args.out}")
    else:
        emit(args, {"token": token, "alg": key.alg, "kid": key.kid, "claims": claims}, token)
    return EXIT_OK


def _verification_key(data: bytes, password: bytes | None) -> PublicJWK:
    try:
        return load_public_jwk(data)
    except DecodeError as public_error:
        try:
            return load_signing_jwk(data, password).public
        except DecodeError:
            raise public_error from None


def _verify(args: argparse.Namespace) -> int:
    check_stdin_once(args.token, *(args.jwks or ()), *(args.key or ()))
    if not args.jwks and not args.key:
        raise CommandError("give the verification keys with --jwks FILE or --key FILE")
    keys = KeySet()
    notes: list[str] = []
    for path in args.jwks or ():
        loaded = KeySet.from_jwks(_read_key_file(path))
        notes.extend(f"{path}: {note}" for note in loaded.notes)
        for jwk in loaded:
            keys.add(jwk)
    for path in args.key or ():
        keys.add(_verification_key(_read_key_file(path), password_from(args)))
    raw = read_input(args.token, "token").strip()
    clock_value = _parse_time(args.at, "--at") if args.at else None
    payload: dict[str, Any] = {"notes": notes} if notes else {}
    try:
        verified = verify(
            raw, keys, algorithms=args.alg, issuer=args.iss, audience=args.aud, leeway=args.leeway,
            clock=(lambda: clock_value) if clock_value is not None else None,
            required_claims=tuple(args.require or ()), typ=args.typ, alg_aliases=tuple(args.alias or ()),
            single_key_fallback=args.single_key,
        )
    except (InvalidSignature, TokenValidationError, UnsupportedAlgorithmError) as exc:
        message = exc.message or type(exc).__name__
        emit(args, {**payload, "valid": False, "error": {"code": exc.code, "message": message}},
             f"invalid: {message}", ok=False)
        return EXIT_INVALID
    emit(args, {**payload, "valid": True, "alg": verified.alg, "kid": verified.kid,
                "header": dict(verified.header), "claims": verified.claims},
         f"valid ({verified.alg}, kid {verified.kid})\n"
         + json.dumps(verified.claims, ensure_ascii=False, indent=2))
    return EXIT_OK


def _jwks(args: argparse.Namespace) -> int:
    check_stdin_once(*args.key)
    keys = KeySet()
    for path in args.key:
        data = _read_key_file(path)
        jwk = _verification_key(data, password_from(args))
        if args.alg or args.kid:
            jwk = PublicJWK(jwk.key, kid=args.kid if len(args.key) == 1 and args.kid else jwk.kid,
                            alg=args.alg or jwk.alg)
        if jwk.is_sm2 != (args.kind == "sm2"):
            hint = "--kind sm2" if jwk.is_sm2 else "--kind standard"
            raise CommandError(f"{path} is {'an SM2' if jwk.is_sm2 else 'a standard'} key: it belongs in the "
                               f"{'SM2' if jwk.is_sm2 else 'standard'} JWKS ({hint}); SM2 keys are published "
                               "separately so that standard JOSE clients do not break")
        try:
            keys.add(jwk)
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from None
    document = keys.jwks(args.kind)
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if args.out != "-":
        write_output(args.out, (text + "\n").encode("utf-8"))
        emit(args, {"jwks_file": args.out, "kind": args.kind, "keys": len(document["keys"])},
             f"wrote a {args.kind} JWKS with {len(document['keys'])} key(s) to {args.out}")
    else:
        emit(args, {"kind": args.kind, "jwks": document}, text)
    return EXIT_OK


def register(sub: Any) -> None:
    group = _group(sub)
    iss = command(
        group, "issue", help="sign a JWT with a private key (SM2, ES256, ES384, RS256, PS256, EdDSA)",
        description="Sign a JWT. Claims come from --claims FILE (a JSON object), --claim NAME=VALUE and\n"
                    "--iss/--sub/--aud; iat is now, exp is now + --ttl (default 600 s), jti is random.\n"
                    "The header carries alg, kid (default the RFC 7638 thumbprint) and typ.",
        examples="  trustkit token issue --key sm2.pem --iss https://id.example.cn --sub u1 --aud portal\n"
                 "  trustkit token issue --key es256.pem --claims claims.json --ttl 300 --out t.jwt\n"
                 "  trustkit token issue --key rsa.pem --alg PS256 --sub u1 --json",
    )
    iss.add_argument("--key", required=True, metavar="KEY", help="private key: PEM/DER PKCS#8 or a private JWK")
    iss.add_argument("--alg", choices=ALG_CHOICES, help="algorithm (default by key: SM2, ES256, ES384, RS256, EdDSA)")
    iss.add_argument("--kid", metavar="KID", help="key ID (default the RFC 7638 thumbprint)")
    iss.add_argument("--claims", metavar="FILE", help="JSON object of claims ('-' for stdin)")
    iss.add_argument("--claim", action="append", metavar="NAME=VALUE", help="one claim; VALUE is JSON or text")
    iss.add_argument("--iss", metavar="ISSUER", help="iss claim")
    iss.add_argument("--sub", metavar="SUBJECT", help="sub claim")
    iss.add_argument("--aud", action="append", metavar="AUDIENCE", help="aud claim (repeatable)")
    iss.add_argument("--ttl", type=int, metavar="SECONDS", help="exp = now + SECONDS (default 600)")
    iss.add_argument("--now", metavar="TIME", help="issue as of TIME (POSIX seconds or ISO 8601), for tests")
    iss.add_argument("--no-jti", action="store_true", help="do not add a random jti")
    iss.add_argument("--typ", default="JWT", help="header typ (default JWT; at+jwt for RFC 9068 access tokens)")
    iss.add_argument("--out", default="-", metavar="FILE", help="write the token to FILE (default stdout)")
    add_password_options(iss, "password", "an encrypted private key")
    iss.set_defaults(handler=_issue)

    ver = command(
        group, "verify", help="verify a JWT against keys or a JWKS (exit 0 valid, 1 invalid, 2 error)",
        description="Verify a JWT: the alg must be in --alg, the key comes from --jwks/--key by kid, and\n"
                    "exp/nbf/iat (with --leeway), iss and aud are checked. A token with an aud claim\n"
                    "needs --aud (RFC 7519 4.1.3).",
        examples="  trustkit token verify --token t.jwt --jwks jwks-sm2.json --alg SM2 --iss https://id.example.cn "
                 "--aud portal\n"
                 "  trustkit token verify --token - --key es256.pub.pem --alg ES256 --aud portal --json",
    )
    ver.add_argument("--token", required=True, metavar="FILE", help="file holding the token ('-' for stdin)")
    ver.add_argument("--jwks", action="append", metavar="FILE", help="JWKS document of trusted keys (repeatable)")
    ver.add_argument("--key", action="append", metavar="FILE", help="trusted key: PEM/DER or JWK (repeatable)")
    ver.add_argument("--alg", action="append", required=True, choices=ALG_CHOICES,
                     help="allowed algorithm (repeatable, required)")
    ver.add_argument("--alias", action="append", choices=sorted(SM2_ALIASES),
                     help="also accept this name for alg SM2 (repeatable)")
    ver.add_argument("--iss", metavar="ISSUER", help="required issuer")
    ver.add_argument("--aud", action="append", metavar="AUDIENCE", help="this recipient's audience (repeatable)")
    ver.add_argument("--require", action="append", metavar="CLAIM", help="claim that must be present (repeatable)")
    ver.add_argument("--typ", metavar="TYP", help="required header typ")
    ver.add_argument("--leeway", type=float, default=0.0, metavar="SECONDS", help="clock skew tolerated (0)")
    ver.add_argument("--at", metavar="TIME", help="check validity at TIME (POSIX seconds or ISO 8601)")
    ver.add_argument("--single-key", action="store_true",
                     help="accept a token without a known kid when exactly one key fits its alg")
    add_password_options(ver, "password", "an encrypted private key given as --key")
    ver.set_defaults(handler=_verify)

    jw = command(
        group, "jwks", help="publish public keys as a JWKS document (SM2 keys in their own document)",
        description="Write the public JWKS (RFC 7517 5) for one or more keys. --kind standard holds\n"
                    "EC P-256/P-384, RSA and Ed25519 keys; --kind sm2 holds SM2 keys only (off-the-shelf\n"
                    "JOSE libraries break on SM2 keys in a mixed set). Private members are never written.",
        examples="  trustkit token jwks --key es256.pem --key rsa.pem --out jwks.json\n"
                 "  trustkit token jwks --kind sm2 --key sm2.pem --out jwks-sm2.json",
    )
    jw.add_argument("--key", action="append", required=True, metavar="FILE",
                    help="public or private key: PEM/DER or JWK (repeatable)")
    jw.add_argument("--kind", choices=["standard", "sm2"], default="standard", help="which document (standard)")
    jw.add_argument("--alg", choices=ALG_CHOICES, help="publish the key restricted to this alg")
    jw.add_argument("--kid", metavar="KID", help="kid for a single --key (default the RFC 7638 thumbprint)")
    jw.add_argument("--out", default="-", metavar="FILE", help="write the JWKS to FILE (default stdout)")
    add_password_options(jw, "password", "an encrypted private key")
    jw.set_defaults(handler=_jwks)
