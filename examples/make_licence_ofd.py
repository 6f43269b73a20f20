"""Lay out a one-page licence as an OFD document, then read it back and find a keyword.

Run:  python examples/make_licence_ofd.py [OUTPUT.ofd]

What a licence portal does before stamping: put the holder's data on an A4 page (CJK text in
宋体, a photo, a frame), carry the same data machine-readably (DocInfo CustomDatas, a custom tag
file and a JSON attachment), write the package atomically, and locate the place for the seal by
keyword, as the stamping step will.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from PIL import Image

from trustkit.ofd import DocumentBuilder, OFDReader

HOLDER = {
    "名称": "福州示例科技有限公司",
    "统一社会信用代码": "91350100M000100Y43",
    "法定代表人": "张三",
    "成立日期": "2024年05月01日",
    "住所": "福建省福州市鼓楼区示例路1号",
}


def photo() -> bytes:
    """A stand-in for the holder's photo or QR code (PNG)."""
    image = Image.new("RGB", (120, 160), (235, 235, 235))
    for x in range(20, 100):
        for y in range(30, 130):
            image.putpixel((x, y), (40, 90, 170))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def build() -> DocumentBuilder:
    builder = DocumentBuilder(page_size=(210.0, 297.0))
    builder.set_info(
        title="营业执照",
        author="福州市市场监督管理局",
        creation_date="2024-05-01",
        keywords=["营业执照", "电子证照"],
        custom_data=HOLDER,
    )
    font = builder.add_font("宋体")  # substituted by the reader; pass file=... to embed a font
    page = builder.add_page()
    page.add_rect(12, 12, 186, 273, line_width=1.0, stroke=(180, 0, 0))
    page.add_text("营业执照", 75, 28, size=15, font=font, bold=True)
    page.add_line(25, 52, 185, 52, line_width=0.4)
    y = 62.0
    for label, value in HOLDER.items():
        page.add_text(f"{label}：{value}", 25, y, size=5, font=font)
        y += 12
    page.add_image(photo(), 150, 60, 30, 40)
    page.add_text("登记机关（盖章）", 120, 230, size=5, font=font)
    tag = "".join(f"<{k}>{v}</{k}>" for k, v in HOLDER.items())
    builder.add_custom_tag("licence", f"<licence>{tag}</licence>".encode(), name_space="urn:trustkit:licence")
    builder.add_attachment("licence.json", json.dumps(HOLDER, ensure_ascii=False).encode(), format="json")
    return builder


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("licence.ofd")
    builder = build()
    builder.write(target)
    print(f"wrote {target} ({target.stat().st_size} bytes)")

    with OFDReader.open(target) as reader:
        page = reader.page(0)
        print(f"page size {page.size[0]} x {page.size[1]} mm, {len(page.text_objects)} text objects")
        print(f"custom data: {reader.info.custom('统一社会信用代码')}")
        (match,) = reader.find("登记机关")
        cx, cy = match.box.center
        print(f"seal goes at the keyword 登记机关: page {match.page_index}, centre ({cx:.1f}, {cy:.1f}) mm")
        print(f"custom tags: {[t.type_id for t in reader.custom_tags()]}")
        print(f"attachments: {[a.name for a in reader.attachments()]}")
    # Same input, same bytes: the package can be rebuilt and compared.
    if build().build() != target.read_bytes():
        print("ERROR: the package is not deterministic")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
