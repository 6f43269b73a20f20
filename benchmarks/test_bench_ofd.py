"""OFD stamping and verification: a one-page licence in memory, next to the SM2 primitives in the same run.

Groups (``--benchmark-group-by=group``):

- ``ofd-stamp``: :func:`trustkit.ofd.stamp_ofd` on a one-page licence (SES v4 seal with a round
  seal picture at 150 dpi, one PagePlacement, a LocalSigner), and ``sm2.sign`` for reference
  (the issue's target: >= 1,000 stamps/s per core);
- ``ofd-verify``: :func:`trustkit.ofd.verify_ofd` of that stamped licence with a warm
  ValidationContext (signer and seal-maker chains with CRLs, every CA signature cached), without
  a context, and ``PublicKey.verify`` for reference (target: >= 1,000/s per core).

``test_memory_300_pages`` (marked ``slow``; a few seconds) builds a 300-page, ~50 MB OFD (a
distinct ~160 KB image per page) in a subprocess, stamps it file to file and verifies it from the
file, and reports the peak RSS (``VmHWM``) of each step against the largest single part.  Run it
alone with ``python -m pytest benchmarks/test_bench_ofd.py -k memory -s``; the figures are printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from trustkit import sm2
from trustkit.ofd import DocumentBuilder, PagePlacement, stamp_ofd, verify_ofd
from trustkit.pki.algorithms import public_key_of
from trustkit.pki.builder import CertificateProfile, create_root_ca, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.crl import issue_crl
from trustkit.pki.names import make_name
from trustkit.pki.signer import LocalSigner
from trustkit.pki.validation import ValidationContext
from trustkit.seal.image import round_seal
from trustkit.seal.ses import SealPictureInfo, make_seal

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _issue(subject: str, key: sm2.PrivateKey, issuer: Certificate, issuer_key: sm2.PrivateKey,
           profile: CertificateProfile) -> Certificate:
    return issue_certificate(subject=make_name(common_name=subject, organization="trustkit bench"),
                             public_key=public_key_of(key), issuer=issuer, issuer_key=issuer_key, profile=profile,
                             not_before=T0, validity=timedelta(days=1000))


class Setup:
    """Root -> intermediate -> signer and seal maker; a v4 seal; a one-page licence; a context."""

    def __init__(self) -> None:
        root_key, int_key = sm2.generate_private_key(), sm2.generate_private_key()
        self.signer_key, maker_key = sm2.generate_private_key(), sm2.generate_private_key()
        root = create_root_ca(make_name(common_name="Bench OFD Root"), root_key, not_before=T0,
                              validity=timedelta(days=3650))
        intermediate = _issue("Bench OFD CA", int_key, root, root_key, CertificateProfile.INTERMEDIATE_CA)
        self.signer_cert = _issue("Bench signer", self.signer_key, intermediate, int_key, CertificateProfile.SEAL_SIGNER)
        maker = _issue("Bench seal maker", maker_key, intermediate, int_key, CertificateProfile.SEAL_MAKER)
        self.signer = LocalSigner(self.signer_key, self.signer_cert)
        picture = SealPictureInfo.from_image(round_seal("福州示例科技有限公司", seal_name="合同专用章"), dpi=150)
        self.seal = make_seal(4, esid="3501000000001", name="合同专用章", seal_type=1,
                              signer_certificates=[self.signer_cert], valid_from=T0, valid_to=NOW + timedelta(days=365),
                              picture=picture, maker_certificate=maker, maker_key=maker_key, created=T0)
        crls = [issue_crl(root, root_key, [], this_update=NOW - timedelta(days=1), crl_number=1),
                issue_crl(intermediate, int_key, [], this_update=NOW - timedelta(days=1), crl_number=1)]
        self.context = ValidationContext([root], [intermediate], crls, revocation="require")
        builder = DocumentBuilder()
        page = builder.add_page()
        page.add_text("营业执照", 85, 30, size=10)
        page.add_text("统一社会信用代码 91350100M000100Y43", 30, 60)
        page.add_text("名称 福州示例科技有限公司", 30, 75)
        page.add_rect(15, 15, 180, 267)
        self.licence = builder.build()
        self.placements = [PagePlacement(0, 130, 210)]
        self.stamped = self.stamp()

    def stamp(self) -> bytes:
        return stamp_ofd(self.licence, self.signer, seal=self.seal, placements=self.placements, time=NOW)


@pytest.fixture(scope="module")
def setup() -> Setup:
    return Setup()


@pytest.mark.benchmark(group="ofd-stamp")
def test_stamp_licence(benchmark: BenchmarkFixture, setup: Setup) -> None:
    out = benchmark(setup.stamp)
    assert verify_ofd(out, context=setup.context, at=NOW).valid


@pytest.mark.benchmark(group="ofd-stamp")
def test_sm2_sign_reference(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert len(benchmark(setup.signer_key.sign, setup.stamped[:2048])) >= 8


@pytest.mark.benchmark(group="ofd-verify")
def test_verify_licence_warm_context(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert verify_ofd(setup.stamped, context=setup.context).valid  # warm: CA and CRL signatures cached
    report = benchmark(verify_ofd, setup.stamped, context=setup.context)
    assert report.valid


@pytest.mark.benchmark(group="ofd-verify")
def test_verify_licence_no_context(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(verify_ofd, setup.stamped).valid


@pytest.mark.benchmark(group="ofd-verify")
def test_sm2_verify_reference(benchmark: BenchmarkFixture, setup: Setup) -> None:
    data = setup.stamped[:2048]
    signature = setup.signer_key.sign(data)
    public = setup.signer_key.public_key()
    benchmark(public.verify, signature, data)


# ---- memory on a 300-page, ~50 MB document ---------------------------------------------------------------

MEMORY_SCRIPT = r"""
import json, os, sys, zlib
from datetime import datetime, timezone
sys.path.insert(0, sys.argv[2])
step, work = sys.argv[1], sys.argv[3]

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
if step == "build":
    # 300 pages, each with its own ~160 KB PNG (random pixels do not compress): a ~50 MB package.
    import struct
    from trustkit.ofd import DocumentBuilder
    def png(seed):
        raw = os.urandom(160 * 1024)
        rows = b"".join(b"\x00" + raw[i:i + 400] for i in range(0, len(raw) - 399, 400))
        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        height = len(rows) // 401
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 400, height, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))
    builder = DocumentBuilder()
    for n in range(300):
        page = builder.add_page()
        page.add_text(f"第 {n + 1} 页", 20, 20)
        page.add_image(png(n), 20, 40, 170, 170)
    builder.write(os.path.join(work, "big.ofd"))
    print(json.dumps({"hwm": hwm()}))
    sys.exit(0)

import pickle
setup = pickle.load(open(os.path.join(work, "setup.pickle"), "rb"))
from trustkit.ofd import OFDReader, PagePlacement, RidingPlacement, stamp_ofd_file, verify_ofd
from trustkit.pki.signer import LocalSigner
from trustkit import sm2
with OFDReader.open(os.path.join(work, "big.ofd")) as reader:
    largest = max(reader.container.size(name) for name in reader.part_names())
    total = sum(reader.container.size(name) for name in reader.part_names())
base = hwm()
if step == "stamp":
    signer = LocalSigner(sm2.load_private_key(setup["key"]), __import__("trustkit.pki.certificate", fromlist=["x"]).Certificate.from_der(setup["cert"]))
    stamp_ofd_file(os.path.join(work, "big.ofd"), os.path.join(work, "stamped.ofd"), signer, seal=setup["seal"],
                   placements=[PagePlacement(0, 130, 210), RidingPlacement(pages=tuple(range(0, 300, 30)))], time=NOW)
else:
    report = verify_ofd(os.path.join(work, "stamped.ofd"))
    assert report.valid, report.summary()
print(json.dumps({"hwm": hwm(), "base": base, "largest": largest, "total": total,
                  "size": os.path.getsize(os.path.join(work, "big.ofd"))}))
"""


@pytest.mark.slow
def test_memory_300_pages(tmp_path: Path, setup: Setup) -> None:
    import pickle

    root = str(Path(__file__).resolve().parents[1])
    (tmp_path / "setup.pickle").write_bytes(pickle.dumps({
        "key": setup.signer_key.private_bytes("DER"), "cert": setup.signer_cert.der, "seal": setup.seal}))

    def run(step: str) -> dict[str, int]:
        done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, step, root, str(tmp_path)], check=False,
                              capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONHASHSEED": "0"})
        assert done.returncode == 0, done.stderr[-3000:]
        result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    built = run("build")
    stamped = run("stamp")
    verified = run("verify")
    mib = 1 << 20
    lines = [(f"300-page OFD: {stamped['size'] / mib:.1f} MiB package, {stamped['total'] / mib:.1f} MiB of parts, "
             f"largest part {stamped['largest'] / 1024:.0f} KiB; building it peaked at {built['hwm'] / mib:.0f} MiB")]
    for name, figures in (("stamp", stamped), ("verify", verified)):
        lines.append(f"{name}: peak RSS {figures['hwm'] / mib:.1f} MiB (interpreter, imports, central directory "
                     f"{figures['base'] / mib:.1f} MiB; growth {(figures['hwm'] - figures['base']) / mib:.1f} MiB)")
    print("\n" + "\n".join(lines))
    for figures in (stamped, verified):
        # the issue's bound: below 3x the largest part plus a fixed overhead (the interpreter and imports)
        assert figures["hwm"] - figures["base"] < 3 * figures["largest"] + 16 * mib
