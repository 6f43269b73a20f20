"""``trustkit demo``: an SM2 e-seal on an OFD licence, end to end, with timings.

On built-in defaults it makes an SM2 PKI (root CA, issuing CA, a seal maker and a seal signer),
draws a round seal, makes a GB/T 38540 (SES v4) seal, lays out a one-page business licence
(营业执照) as OFD, stamps it on the issuing authority's name, verifies the stamped licence
against the root, shows that a tampered copy fails, and times SM2 signing and verification.
The files go to ``--dir`` (default ``./trustkit-demo``); no private key is written.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from trustkit import sm2
from trustkit.ofd import DocumentBuilder, OFDReader, PackageWriter
from trustkit.ofd.stamp import KeywordPlacement, stamp_ofd
from trustkit.ofd.verify import verify_ofd
from trustkit.pki.builder import CertificateProfile, create_root_ca, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.crl import issue_crl
from trustkit.pki.names import make_name
from trustkit.pki.signer import LocalSigner
from trustkit.pki.validation import ValidationContext
from trustkit.primitives import backend_name
from trustkit.seal.image import round_seal
from trustkit.seal.ses import SealPictureInfo, make_seal
from trustkit.verification import DocumentReport

from ._output import EXIT_INVALID, EXIT_OK, CommandError, command, emit, write_output

T = TypeVar("T")

DEFAULT_DIR = "trustkit-demo"
AUTHORITY = "某某市市场监督管理局"
SEAL_CODE = "3301000012345"
ESID = "33010000000001"
HOLDER = "某某数字科技有限公司"
TAMPERED_HOLDER = "某某贸易有限公司"  # same length, so nothing but the text changes
USCC = "91330100MA2AB3CD0Y"  # made up, with valid check characters (GB 32100, GB 11714)
MESSAGE = "电子证照 licence 3301XX-2026-000123: 张三".encode()

FILES = {
    "seal_image": "seal.png",
    "seal": "seal.esl",
    "licence": "licence.ofd",
    "stamped": "licence-stamped.ofd",
    "tampered": "licence-tampered.ofd",
    "root": "root.pem",
    "issuing_ca": "issuing-ca.pem",
}


class _Clock:
    """Milliseconds per demo step."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    def run(self, name: str, func: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = func()
        self.ms[name] = round((time.perf_counter() - start) * 1000, 1)
        return result


# ---- the steps ---------------------------------------------------------------------------------


class _PKI:
    def __init__(self, now: datetime) -> None:
        start = now - timedelta(hours=1)
        self.root_key = sm2.generate_private_key()
        self.root = create_root_ca(make_name(common_name="trustkit 演示根CA", organization="trustkit 演示"),
                                   self.root_key, not_before=start, validity=timedelta(days=3650))
        self.ca_key = sm2.generate_private_key()
        self.ca = self._issue("trustkit 演示签发CA", "trustkit 演示", self.ca_key, self.root, self.root_key,
                              CertificateProfile.INTERMEDIATE_CA, start, path_length=0)
        self.maker_key = sm2.generate_private_key()
        self.maker = self._issue("某某省电子印章制作系统", "某某省大数据局", self.maker_key, self.ca, self.ca_key,
                                 CertificateProfile.SEAL_MAKER, start)
        self.signer_key = sm2.generate_private_key()
        self.signer = self._issue(AUTHORITY, AUTHORITY, self.signer_key, self.ca, self.ca_key,
                                  CertificateProfile.SEAL_SIGNER, start)
        crls = [issue_crl(self.root, self.root_key, [], this_update=start, crl_number=1),
                issue_crl(self.ca, self.ca_key, [], this_update=start, crl_number=1)]
        self.context = ValidationContext([self.root], [self.ca], crls)

    @staticmethod
    def _issue(cn: str, org: str, key: sm2.PrivateKey, issuer: Certificate, issuer_key: sm2.PrivateKey,
               profile: CertificateProfile, start: datetime, path_length: int | None = None) -> Certificate:
        return issue_certificate(subject=make_name(common_name=cn, organization=org), public_key=key.public_key(),
                                 issuer=issuer, issuer_key=issuer_key, profile=profile, not_before=start,
                                 validity=timedelta(days=730 if profile is CertificateProfile.INTERMEDIATE_CA else 365),
                                 path_length=path_length)


def _licence(now: datetime) -> bytes:
    """A one-page business licence (营业执照 layout, A4 landscape)."""
    builder = DocumentBuilder(page_size=(297.0, 210.0))
    builder.set_info(title="营业执照", author=AUTHORITY, creation_date=now.strftime("%Y-%m-%d"),
                     custom_data={"统一社会信用代码": USCC, "名称": HOLDER})
    page = builder.add_page()
    page.add_rect(10, 10, 277, 190, line_width=1.2, stroke=(200, 30, 30))
    page.add_rect(13, 13, 271, 184, line_width=0.3, stroke=(200, 30, 30))
    page.add_text("营业执照", 112, 24, size=18, bold=True)
    page.add_text("（副本）", 132, 45, size=6)
    page.add_text(f"统一社会信用代码  {USCC}", 30, 58, size=4.5)
    fields = [("名　　称", HOLDER), ("类　　型", "有限责任公司（自然人投资或控股）"), ("法定代表人", "张三"),
              ("注册资本", "壹仟万元整"), ("成立日期", "2021年03月15日"), ("住　　所", "某某省某某市某某区某某路100号"),
              ("经营范围", "软件开发；信息技术咨询服务；数据处理和存储支持服务")]
    for row, (label, value) in enumerate(fields):
        y = 75 + row * 11
        page.add_text(label, 30, y, size=4.5)
        page.add_text(value, 62, y, size=4.5)
    page.add_text("登记机关", 180, 165, size=4.5)
    page.add_text(AUTHORITY, 205, 165, size=4.5)
    page.add_text(f"{now.year}年{now.month:02d}月{now.day:02d}日", 215, 176, size=4.5)
    page.add_text("国家企业信用信息公示系统网址：http://www.gsxt.gov.cn", 30, 188, size=3.5)
    return builder.build()


def _tamper(stamped: bytes) -> bytes:
    """The stamped licence with the holder's name changed in the page content."""
    with OFDReader.from_bytes(stamped) as reader:
        part = reader.page(0).part
        writer = PackageWriter.from_reader(reader)
        content = writer.get(part)
        if HOLDER.encode() not in content:
            raise CommandError("demo: the licence page does not hold the holder's name")
        writer.set(part, content.replace(HOLDER.encode(), TAMPERED_HOLDER.encode()))
        return writer.to_bytes()


def _first_failure(report: DocumentReport) -> str:
    for signature in report.signatures:
        for check in signature.failures:
            return f"{check.name}: {check.detail}"
    return "no failure reported"


# ---- SM2 speed ---------------------------------------------------------------------------------


def _rate(func: Callable[[], object], count: int) -> dict[str, float]:
    start = time.perf_counter()
    for _ in range(count):
        func()
    seconds = time.perf_counter() - start
    return {"count": count, "seconds": round(seconds, 4), "per_second": round(count / seconds)}


def _timings(count: int) -> dict[str, dict[str, float]]:
    key = sm2.generate_private_key()
    public = key.public_key()
    signature = key.sign(MESSAGE)
    out = {"sign": _rate(lambda: key.sign(MESSAGE), count)}
    cache_size = sm2.verify_cache_size()
    sm2.set_verify_cache_size(0)  # plain verification, without the per-key table
    try:
        out["verify"] = _rate(lambda: public.verify(signature, MESSAGE), count)
    finally:
        sm2.set_verify_cache_size(cache_size)
    public.precompute()
    out["verify_prepared_key"] = _rate(lambda: public.verify(signature, MESSAGE), count)
    start = time.perf_counter()
    sm2.sign_many(key, [MESSAGE] * count)
    seconds = time.perf_counter() - start
    out["sign_many"] = {"count": count, "seconds": round(seconds, 4), "per_second": round(count / seconds)}
    return out


# ---- the command -------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    if directory.exists() and not directory.is_dir():
        raise CommandError(f"--dir {args.dir} exists and is not a directory")
    if not directory.parent.is_dir():
        raise CommandError(f"cannot create {args.dir}: the directory {directory.parent} does not exist",
                           code="file_not_found")
    directory.mkdir(exist_ok=True)
    paths = {name: directory / file for name, file in FILES.items()}
    clock = _Clock()
    now = datetime.now(timezone.utc).replace(microsecond=0)

    pki = clock.run("pki", lambda: _PKI(now))
    image = clock.run("seal_image", lambda: round_seal(AUTHORITY, code=SEAL_CODE))
    png = clock.run("seal_png", lambda: image.png(300))
    seal = clock.run("seal", lambda: make_seal(
        4, esid=ESID, name=f"{AUTHORITY}公章", seal_type=1, signer_certificates=[pki.signer],
        valid_from=now - timedelta(hours=1), valid_to=now + timedelta(days=1095),
        picture=SealPictureInfo(type="PNG", data=png, width_mm=round(image.width_mm),
                                height_mm=round(image.height_mm)),
        maker_certificate=pki.maker, maker_key=pki.maker_key))
    licence = clock.run("licence", lambda: _licence(now))
    signer = LocalSigner(pki.signer_key, pki.signer, (pki.ca,))
    stamped = clock.run("stamp", lambda: stamp_ofd(licence, signer, seal=seal,
                                                   placements=[KeywordPlacement(AUTHORITY, 0)]))
    report = clock.run("verify", lambda: verify_ofd(stamped, context=pki.context,
                                                    document_name=str(paths["stamped"])))
    tampered = _tamper(stamped)
    tampered_report = clock.run("verify_tampered", lambda: verify_ofd(tampered, context=pki.context,
                                                                      document_name=str(paths["tampered"])))
    timings = _timings(args.count)

    outputs = {"seal_image": png, "seal": seal, "licence": licence, "stamped": stamped, "tampered": tampered,
               "root": pki.root.to_pem(), "issuing_ca": pki.ca.to_pem()}
    for name, data in outputs.items():
        write_output(str(paths[name]), data)

    signature = report.signatures[0] if report.signatures else None
    checks_ok = sum(1 for check in signature.checks if check.ok) if signature else 0
    annots = []
    with OFDReader.from_bytes(stamped) as reader:
        listing = reader.signatures()
        if listing and listing.entries:
            annots = list(reader.signature(listing.entries[-1]).stamp_annots)
    tamper_reason = _first_failure(tampered_report)
    ok = report.valid and not tampered_report.valid
    rates = {name: t["per_second"] for name, t in timings.items()}

    result: dict[str, Any] = {
        "directory": str(directory),
        "files": {name: str(path) for name, path in paths.items()},
        "valid": report.valid,
        "tampered_rejected": not tampered_report.valid,
        "tamper_reason": tamper_reason,
        "report": report.to_dict(),
        "tampered_report": tampered_report.to_dict(),
        "step_ms": clock.ms,
        "backend": backend_name(),
        "timings": timings,
        "rates_per_second": rates,
    }
    boxes = ", ".join(a.boundary.to_text() for a in annots)
    ms = clock.ms

    def step(number: int, name: str, text: str, millis: float | None) -> str:
        return f"{number}. {name:<10} {text}" + (f"   [{millis:,.0f} ms]" if millis is not None else "")

    lines = [
        f"trustkit demo: an SM2 electronic seal on an OFD licence, end to end (files in {directory}/)",
        "",
        step(1, "PKI", "SM2 root CA -> issuing CA -> seal maker + seal signer certificates (+ CRLs)", ms["pki"]),
        step(2, "image", f"round seal, 42 mm, {AUTHORITY}, code {SEAL_CODE} -> {paths['seal_image']} "
                         f"({round(42 / 25.4 * 300)} px at 300 dpi)", ms["seal_image"] + ms["seal_png"]),
        step(3, "seal", f"SES v4 (GB/T 38540-2020) esID {ESID}, signed by the seal maker -> {paths['seal']}",
             ms["seal"]),
        step(4, "licence", f"one-page OFD 营业执照 for {HOLDER} (USCC {USCC}) -> {paths['licence']}",
             ms["licence"]),
        step(5, "stamp", f"seal centred on {AUTHORITY!r} (box {boxes} mm) -> {paths['stamped']}", ms["stamp"]),
        step(6, "verify", ("VALID" if report.valid else "INVALID: " + _first_failure(report))
             + f": {checks_ok} checks ok (digests, dataHash, SES and seal signatures, chains to the root, CRLs)",
             ms["verify"]),
        step(7, "tamper", f"holder renamed to {TAMPERED_HOLDER} -> "
                          + ("INVALID, as it should be: " if not tampered_report.valid else "VALID: this is a bug: ")
                          + tamper_reason, ms["verify_tampered"]),
        step(8, "SM2 speed", f"sign {rates['sign']:,}/s, verify {rates['verify']:,}/s "
                             f"({rates['verify_prepared_key']:,}/s prepared key), sign_many {rates['sign_many']:,}/s "
                             f"(C core: {backend_name()})", None),
        "",
        f"next: trustkit ofd verify {paths['stamped']} --trust {paths['root']} --untrusted {paths['issuing_ca']}",
        f"      trustkit ofd verify {paths['tampered']} --trust {paths['root']}",
        f"      trustkit seal show {paths['seal']}      trustkit --help",
    ]
    emit(args, result, "\n".join(lines), ok=ok)
    return EXIT_OK if ok else EXIT_INVALID


def _count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError("must be between 1 and 1000000")
    return value


def register(sub: Any) -> None:
    demo = command(
        sub, "demo", help="seal and verify an OFD licence end to end, with timings",
        description="A short tour: make an SM2 PKI (root, issuing CA, seal maker, seal signer), draw a round\n"
                    "seal, make an SES v4 seal (GB/T 38540), lay out a one-page licence as OFD, stamp it on\n"
                    "the issuing authority's name, verify it against the root, show that a tampered copy\n"
                    "fails, and time SM2 signing and verification on this machine. The files (seal.png,\n"
                    "seal.esl, licence.ofd, licence-stamped.ofd, licence-tampered.ofd, root.pem,\n"
                    "issuing-ca.pem) go to --dir; no private key is written.",
        examples="  trustkit demo\n  trustkit demo --dir /tmp/demo --quick --json",
    )
    demo.add_argument("--dir", default=DEFAULT_DIR, metavar="DIR",
                      help=f"where to write the demo files (default ./{DEFAULT_DIR}, created if needed)")
    demo.add_argument("--count", type=_count, default=2000, metavar="N",
                      help="operations per SM2 timing (default 2000)")
    demo.add_argument("--quick", dest="count", action="store_const", const=200, help="same as --count 200")
    demo.set_defaults(handler=_demo)


__all__ = ["register"]
