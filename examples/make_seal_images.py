"""Make seal images for an electronic seal: round, oval and square, as PNG and SVG.

Run:  python examples/make_seal_images.py [OUTPUT_DIR]     (default: ./seal-images)

Needs a CJK font: on Debian/Ubuntu `apt-get install fonts-noto-cjk` (or pass font_path=).
The PNGs carry their DPI, so they print at true size (42 mm is 496 pixels at 300 dpi);
the SVGs are sized in mm and contain outlines only, so they look the same everywhere.
A seal maker stores one of these in the SES seal's picture field together with its size.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trustkit.errors import ConfigurationError, DecodeError
from trustkit.seal.image import load_seal_picture, oval_seal, round_seal, square_seal


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "seal-images")
    out.mkdir(parents=True, exist_ok=True)
    try:
        seals = {
            # A company's official seal: 42 mm, star, name along the upper arc, seal code below.
            "company-official": round_seal("北京某某科技发展有限公司", code="1101080012345"),
            # A contract seal: the purpose is written under the star.
            "company-contract": round_seal(
                "北京某某科技发展有限公司", seal_name="合同专用章", code="1101080012346"
            ),
            # A smaller 38 mm seal for a department.
            "department": round_seal("某某市人民政府办公室", seal_name="文印室", diameter_mm=38),
            # An oval finance seal, 45 x 30 mm.
            "finance": oval_seal("上海某某贸易有限公司", seal_name="财务专用章", code="3101150098765"),
            # A personal name seal, 20 mm square, read in columns from the right.
            "personal": square_seal("张三之印"),
        }
    except ConfigurationError as exc:  # no CJK font installed
        print(f"cannot make seal images: {exc}", file=sys.stderr)
        return 1

    for name, seal in seals.items():
        png = seal.png(dpi=300)
        (out / f"{name}.png").write_bytes(png)
        (out / f"{name}.svg").write_text(seal.svg(), encoding="utf-8")
        print(f"{name}: {seal.width_mm:g} x {seal.height_mm:g} mm -> {name}.png ({len(png)} bytes), {name}.svg")

    # A portal also accepts pictures that users upload: check them before putting them in a seal.
    picture = load_seal_picture((out / "finance.png").read_bytes())
    print(f"uploaded picture: {picture.kind}, {picture.width_px} x {picture.height_px} px, "
          f"{picture.width_mm:.1f} x {picture.height_mm:.1f} mm")
    try:
        load_seal_picture(b"<html>not a seal</html>")
    except DecodeError as exc:
        print(f"refused upload: {exc}")
    print(f"written to {out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
