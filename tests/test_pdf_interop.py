"""PDF interop: qpdf checks the structure, poppler renders the seal and checks signatures, pyHanko validates.

Commands (recorded here as the issue asks):
  qpdf --check out.pdf                        exit 0 (qpdf 11.3 prints "No syntax or stream encoding errors")
  pdfsig out.pdf                              poppler 22: PAdES ES256/RSA "Signature is Valid."; SM2: it
                                              does not know SM3/SM2 ("Unrecognized Hash ID",
                                              "Signing Hash Algorithm: unknown", "Unknown Validation Failure")
                                              but lists the field and "Total document signed"
  pdftoppm -r 100 -f N -l N -png out.pdf p    renders the page with the seal widget(s)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from test_pdf_support import KEYWORD, PAGE_H, make_pdf, pki, seal_image

from trustkit.pdf import KeywordPosition, PagePosition, RidingSeal, stamp_pdf
from trustkit.pdf._appearance import MM

pytestmark = pytest.mark.interop

SEAL_PT = 42 * MM
DPI = 100


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: qpdf / poppler-utils)")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def _outputs() -> dict[str, bytes]:
    p = pki()
    base = make_pdf(3)
    sm2 = stamp_pdf(base, p.signer(), seal_image=seal_image(), placement=PagePosition(1, 150, 60), timestamp=p.tsa)
    return {
        "cms-sm2": sm2,
        "cms-gm": stamp_pdf(base, p.signer(), seal_image=seal_image(), placement=PagePosition(1, 150, 60),
                            mode="cms-gm"),
        "ses-riding": stamp_pdf(base, p.signer(), seal_image=seal_image(), placement=RidingSeal(), mode="ses",
                                seal_der=p.seal_der),
        "pades-p256": stamp_pdf(base, p.signer("p256"), seal_image=seal_image(), placement=PagePosition(1, 60, 60),
                                mode="pades"),
        "pades-rsa-after-sm2": stamp_pdf(sm2, p.signer("rsa"), seal_image=seal_image(), mode="pades",
                                         placement=KeywordPosition(KEYWORD, occurrence=3)),
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    paths = {}
    for name, data in _outputs().items():
        paths[name] = folder / f"{name}.pdf"
        paths[name].write_bytes(data)
    return paths


def test_qpdf_check(outputs: dict[str, Path]) -> None:
    qpdf = _tool("qpdf")
    for name, path in outputs.items():
        result = _run(qpdf, "--check", str(path))
        assert result.returncode == 0, (name, result.stdout, result.stderr)
        assert "No syntax or stream encoding errors" in result.stdout, name


def test_pdfsig_validates_pades(outputs: dict[str, Path]) -> None:
    pdfsig = _tool("pdfsig")
    result = _run(pdfsig, str(outputs["pades-p256"]))
    assert "Signature Validation: Signature is Valid." in result.stdout, result.stdout
    assert "ETSI.CAdES.detached" in result.stdout and "Total document signed" in result.stdout
    both = _run(pdfsig, str(outputs["pades-rsa-after-sm2"])).stdout
    # Signature #1 is SM2 (poppler cannot check it); #2, the RSA PAdES one added later, is valid.
    second = both.split("Signature #2:")[1]
    assert "Signature Validation: Signature is Valid." in second and "Total document signed" in second
    assert "Signature #1:" in both and "Total document signed" not in both.split("Signature #2:")[0]


def test_pdfsig_on_sm2_records_what_poppler_says(outputs: dict[str, Path]) -> None:
    """poppler does not implement SM3/SM2: it finds the signature and the ByteRange but cannot verify."""
    pdfsig = _tool("pdfsig")
    text = _run(pdfsig, str(outputs["cms-sm2"])).stdout
    assert "Signature Field Name: Seal1" in text and "Total document signed" in text
    assert "Signing Hash Algorithm: unknown" in text
    assert "Signature is Valid" not in text


def _red_box(png: Path) -> tuple[int, int, int, int] | None:
    image = Image.open(png).convert("RGB")
    red = image.point(lambda v: 0)  # placeholder image of the same size
    pixels = image.load()
    xs, ys = [], []
    for y in range(image.height):
        for x in range(image.width):
            r, g, b = pixels[x, y]
            if r > 180 and g < 90 and b < 90:
                xs.append(x)
                ys.append(y)
    del red
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _render(pdftoppm: str, pdf: Path, page: int, out: Path) -> Path:
    result = _run(pdftoppm, "-r", str(DPI), "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf),
                  str(out))
    assert result.returncode == 0, result.stderr
    return out.with_suffix(".png")


def test_rendered_seal_is_where_it_was_put(outputs: dict[str, Path], tmp_path: Path) -> None:
    """PagePosition(1, 150, 60): the 42 mm seal centred 150 mm from the left, 60 mm from the top."""
    pdftoppm = _tool("pdftoppm")
    png = _render(pdftoppm, outputs["cms-sm2"], 1, tmp_path / "page1")
    box = _red_box(png)
    assert box is not None, "no red seal pixels on the rendered page"
    px = DPI / 25.4
    assert (box[0] + box[2]) / 2 == pytest.approx(150 * px, abs=3)
    assert (box[1] + box[3]) / 2 == pytest.approx(60 * px, abs=3)
    assert box[2] - box[0] == pytest.approx(42 * px, abs=4)  # true size: 42 mm across
    # Page 2 carries no seal.
    assert _red_box(_render(pdftoppm, outputs["cms-sm2"], 2, tmp_path / "page2")) is None


def test_rendered_riding_seal_slices(outputs: dict[str, Path], tmp_path: Path) -> None:
    pdftoppm = _tool("pdftoppm")
    px = DPI / 25.4
    for page in (1, 2, 3):
        png = _render(pdftoppm, outputs["ses-riding"], page, tmp_path / f"riding{page}")
        box = _red_box(png)
        assert box is not None, page
        width = Image.open(png).width
        assert box[2] >= width - 3  # flush with the right edge
        assert box[0] >= width - 42 * px / 3 - 3  # one third of the seal
        assert (box[1] + box[3]) / 2 == pytest.approx(PAGE_H / 72 * DPI / 2, abs=4)
