"""Licence issuance and verification: one-page licences from the example templates.

Groups (``--benchmark-group-by=group``):

- ``licence-issue``: :func:`trustkit.licence.issue.issue_licence` (layout + QR + seal) of the
  职业资格证书 example (the issue's target: >= 300/s per core, i.e. <= 3.3 ms per licence), the same
  template without its QR box (layout + seal), and the parts: the unsigned layout
  (:func:`~trustkit.licence.issue.build_licence`), the QR payload, the QR image (zxing-cpp symbol + Pillow PNG, and
  pure-Python segno with its own PNG writer for comparison)
  and the seal (:func:`~trustkit.ofd.stamp_ofd`);
- ``licence-verify``: :func:`trustkit.licence.verify.verify_licence` with a warm ValidationContext
  (target: >= 1,000/s per core, i.e. <= 1 ms), and :func:`~trustkit.ofd.verify_ofd` alone, which
  it contains.

``test_batch_ten_thousand`` (marked ``slow``; minutes) issues 10,000 licences from a CSV with
:func:`trustkit.licence.batch.issue_batch` and prints wall and CPU time and the resident set size
after every thousand (flat memory: the CSV is streamed).  Run it alone with
``python -m pytest benchmarks/test_bench_licence.py -k ten_thousand -s``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import segno
from pytest_benchmark.fixture import BenchmarkFixture

from trustkit import sm2
from trustkit.licence.batch import CSV_COLUMNS, BatchEvent, issue_batch, record_to_row
from trustkit.licence.codes import LicenceIdentifier, make_id_number
from trustkit.licence.issue import build_licence, issue_licence, qr_image
from trustkit.licence.model import LicenceRecord
from trustkit.licence.qr import make_qr_payload
from trustkit.licence.template import load_template
from trustkit.licence.verify import verify_licence
from trustkit.ofd import PagePlacement, stamp_ofd, verify_ofd
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
TEMPLATES = Path(__file__).resolve().parents[1] / "examples" / "licence_templates"
NAME = "qualification_certificate"


def _issue(subject: str, key: sm2.PrivateKey, issuer: Certificate, issuer_key: sm2.PrivateKey,
           profile: CertificateProfile) -> Certificate:
    return issue_certificate(subject=make_name(common_name=subject, organization="trustkit bench"),
                             public_key=public_key_of(key), issuer=issuer, issuer_key=issuer_key, profile=profile,
                             not_before=T0, validity=timedelta(days=1000))


class Setup:
    """Root -> CA -> seal signer and seal maker, a v4 seal, the example template and record."""

    def __init__(self) -> None:
        root_key, int_key = sm2.generate_private_key(), sm2.generate_private_key()
        signer_key, maker_key = sm2.generate_private_key(), sm2.generate_private_key()
        root = create_root_ca(make_name(common_name="Bench Licence Root"), root_key, not_before=T0,
                              validity=timedelta(days=3650))
        ca = _issue("Bench Licence CA", int_key, root, root_key, CertificateProfile.INTERMEDIATE_CA)
        cert = _issue("福建省人力资源和社会保障厅", signer_key, ca, int_key, CertificateProfile.SEAL_SIGNER)
        maker = _issue("Bench seal maker", maker_key, ca, int_key, CertificateProfile.SEAL_MAKER)
        self.signer = LocalSigner(signer_key, cert)
        picture = SealPictureInfo.from_image(round_seal("福建省人力资源和社会保障厅", seal_name="电子证照专用章"), dpi=150)
        self.seal = make_seal(4, esid="3500000000001", name="电子证照专用章", seal_type=1, signer_certificates=[cert],
                              valid_from=T0, valid_to=NOW + timedelta(days=365), picture=picture,
                              maker_certificate=maker, maker_key=maker_key, created=T0)
        crls = [issue_crl(root, root_key, [], this_update=NOW - timedelta(days=1), crl_number=1),
                issue_crl(ca, int_key, [], this_update=NOW - timedelta(days=1), crl_number=1)]
        self.context = ValidationContext([root], [ca], crls, revocation="require")
        self.template = load_template(TEMPLATES / f"{NAME}.json")
        self.no_qr = dataclasses.replace(self.template, qr=None)
        self.record = LicenceRecord.from_json((TEMPLATES / f"{NAME}.record.json").read_bytes())
        self.qr_text = make_qr_payload(self.record, self.signer, now=NOW)
        self.unsigned = build_licence(self.record, self.template, qr_text=self.qr_text)
        self.issued = self.issue()

    def issue(self) -> bytes:
        return issue_licence(self.record, self.template, self.signer, self.seal, time=NOW)

    def issue_no_qr(self) -> bytes:
        return issue_licence(self.record, self.no_qr, self.signer, self.seal, time=NOW)

    def stamp(self) -> bytes:
        s = self.template.seal
        return stamp_ofd(self.unsigned, self.signer, seal=self.seal,
                         placements=[PagePlacement(0, s.x, s.y, s.width, s.height)], time=NOW)


@pytest.fixture(scope="module")
def setup() -> Setup:
    return Setup()


@pytest.mark.benchmark(group="licence-issue")
def test_issue_licence(benchmark: BenchmarkFixture, setup: Setup) -> None:
    out = benchmark(setup.issue)
    assert verify_licence(out, context=setup.context, at=NOW).valid


@pytest.mark.benchmark(group="licence-issue")
def test_issue_licence_without_qr(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert verify_licence(benchmark(setup.issue_no_qr), context=setup.context, at=NOW).valid


@pytest.mark.benchmark(group="licence-issue")
def test_part_layout(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(build_licence, setup.record, setup.template, qr_text=setup.qr_text) == setup.unsigned


@pytest.mark.benchmark(group="licence-issue")
def test_part_qr_payload(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(make_qr_payload, setup.record, setup.signer, now=NOW).startswith("TKL1:")


@pytest.mark.benchmark(group="licence-issue")
def test_part_qr_image(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(qr_image, setup.qr_text).startswith(b"\x89PNG")


@pytest.mark.benchmark(group="licence-issue")
def test_part_qr_image_segno(benchmark: BenchmarkFixture, setup: Setup) -> None:
    """For comparison: the pure-Python segno encoder (best mask) and its PNG writer, used before zxing-cpp."""
    def encode() -> bytes:
        out = io.BytesIO()
        segno.make(setup.qr_text, error="m", micro=False).save(out, kind="png", scale=4, border=4)
        return out.getvalue()

    assert benchmark(encode).startswith(b"\x89PNG")


@pytest.mark.benchmark(group="licence-issue")
def test_part_seal(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert verify_ofd(benchmark(setup.stamp), context=setup.context).valid


@pytest.mark.benchmark(group="licence-verify")
def test_verify_licence_warm(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert verify_licence(setup.issued, context=setup.context, at=NOW).valid  # warm the context's caches
    assert benchmark(verify_licence, setup.issued, context=setup.context, at=NOW).valid


@pytest.mark.benchmark(group="licence-verify")
def test_verify_ofd_part(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(verify_ofd, setup.issued, context=setup.context).valid


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.mark.slow
def test_batch_ten_thousand(tmp_path: Path, setup: Setup) -> None:
    base = setup.record.to_dict()
    source = tmp_path / "records.csv"
    with open(source, "w", encoding="utf-8", newline="") as stream:
        writer: csv.DictWriter[str] | None = None
        for i in range(10_000):
            serial = f"S{i:08d}"
            ident = LicenceIdentifier.build(base["licence_type_code"], base["issuer_code"], serial)
            holder = make_id_number("350102", date(1980, 1, 1) + timedelta(days=i % 9000), 100 + i % 800)
            row = record_to_row(LicenceRecord.from_dict({**base, "identifier": str(ident), "licence_number": serial,
                                                         "holder_code": holder, "holder_name": f"测试{i}"}))
            if writer is None:
                writer = csv.DictWriter(stream, list(CSV_COLUMNS) + sorted(set(row) - set(CSV_COLUMNS)))
                writer.writeheader()
            writer.writerow(row)
    out = tmp_path / "out"
    out.mkdir()
    rss: list[int] = []

    def progress(event: BatchEvent) -> None:
        if (event.row - 1) % 1000 == 0:
            rss.append(_rss_kib())

    start, cpu = time.perf_counter(), time.process_time()
    result = issue_batch(source, setup.template, setup.signer, setup.seal, out, progress=progress, time=NOW)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert result.issued == 10_000 and result.failed == 0
    print(f"\n10,000 licences in {elapsed:.1f} s wall ({10_000 / elapsed:.0f}/s), {cpu:.1f} s CPU "
          f"({10_000 / cpu:.0f}/s per core); RSS after each 1000 (KiB): {rss}")
    assert max(rss[1:]) - rss[1] < 20_000  # flat: under 20 MiB of growth after the first thousand
    assert verify_licence(next(out.glob("*.ofd")), context=setup.context, at=NOW).valid
