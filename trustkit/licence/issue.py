"""Issue a licence: lay a record out on its template as OFD, embed its metadata, seal it.

:func:`issue_licence` produces one sealed OFD document (GB/T 36905 names OFD as the licence file
format and requires it to be sealed, reference/standards.md §7.3):

1. the page: background, border, static texts and lines, every field box filled from the record
   (shrunk to fit, wrapped if allowed, an error if it still does not fit), the holder's photo (or
   an empty photo frame) and the scan-to-show QR code (:mod:`.qr`, static mode) as a PNG image;
2. the metadata, in the two places the national e-invoice uses (standards.md §5.4, §7.3):

   - **DocInfo/CustomDatas** in OFD.xml: the catalogue's key fields under their GB/T 36902
     names (:func:`docinfo_fields`), so that generic OFD tools and search indexes see them;
   - a **CustomTag** (``TypeID`` = :data:`LICENCE_TAG_TYPE`, ``NameSpace`` =
     :data:`~trustkit.licence.model.LICENCE_XML_NAMESPACE`) whose tag file
     ``Doc_0/Tags/Licence.xml`` is exactly :meth:`LicenceRecord.to_xml` (canonical bytes), the
     authoritative, complete record that :mod:`.verify` reads back;
   - a second CustomTag, the **data index** (数据标引, GB/T 33190 §16 "non-contact" indexing;
     ``TypeID`` = :data:`INDEX_TAG_TYPE`, file ``Doc_0/Tags/LicenceIndex.xml``): for every field
     box, the TextObjects (``ofd:ObjectRef``) that show it, so a verifier can check that the
     visible text says what the record says::

         <tki:Field Name="holder_name" Format="cn"><ofd:ObjectRef PageRef="2">31</ofd:ObjectRef></tki:Field>

   **No attachment by default.**  The e-invoice also attaches its original XML, but here the
   custom tag file already *is* the record's canonical XML, byte for byte, inside the package
   and protected by the seal; a second copy adds nothing a verifier could trust more, and every
   extra copy is one more thing that could disagree.  ``attach_xml=True`` adds it anyway (as
   ``licence.xml``, Usage ``licence-record``) for consumers that only look at attachments;
   :func:`~trustkit.licence.verify.verify_licence` then requires it to equal the tag file;
3. the issuing authority's seal, stamped last with :func:`~trustkit.ofd.stamp.stamp_ofd` at
   the template's seal box.  Its References digest every file of the package except
   Signatures.xml and the signature's own files, so OFD.xml (DocInfo), Document.xml,
   CustomTags.xml, the tag file, the page, the QR image and the photo are all protected.

The layout without the seal is :func:`build_licence` (deterministic for a given QR text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from xml.sax.saxutils import quoteattr

from trustkit.licence.model import LICENCE_XML_NAMESPACE, LicenceRecord
from trustkit.licence.qr import make_qr_payload, qr_png
from trustkit.licence.template import Align, FieldBox, Template, field_value
from trustkit.ofd.stamp import PagePlacement, stamp_ofd
from trustkit.ofd.writer import OFD_NAMESPACE, DocumentBuilder, PageBuilder
from trustkit.pki.signer import Signer

__all__ = [
    "ATTACHMENT_NAME",
    "ATTACHMENT_USAGE",
    "INDEX_TAG_FILE",
    "INDEX_TAG_TYPE",
    "INDEX_XML_NAMESPACE",
    "LICENCE_TAG_FILE",
    "LICENCE_TAG_TYPE",
    "QR_MASK",
    "build_licence",
    "docinfo_fields",
    "issue_licence",
    "layout_text",
    "qr_image",
]

#: CustomTag TypeID, file and namespace of the data index: which TextObjects show which field.
INDEX_TAG_TYPE = "licence-index"
INDEX_TAG_FILE = "LicenceIndex.xml"
INDEX_XML_NAMESPACE = "urn:trustkit:licence-index:1"
#: CustomTag TypeID of the licence record tag.
LICENCE_TAG_TYPE = "licence"
#: File name of the tag file (under Doc_0/Tags/).
LICENCE_TAG_FILE = "Licence.xml"
ATTACHMENT_NAME = "licence.xml"
ATTACHMENT_USAGE = "licence-record"
#: The QR mask pattern used for issued licences.  Letting the encoder score all eight masks costs
#: about 8x more (1.2 ms against 0.15 ms with zxing-cpp) for a barely better symbol; a licence QR
#: is printed large (>= 20 mm) anyway.
QR_MASK = 2
_NO_LINE_START = frozenset("，。、；：？！）》」』”’,.;:?!)")
_SHRINK_STEP = 0.25  # mm of font size per try when a field does not fit


def docinfo_fields(record: LicenceRecord) -> list[tuple[str, str]]:
    """The DocInfo CustomData pairs for ``record`` (GB/T 36902 catalogue names, dates ``yyyyMMdd``)."""
    def day(value: date | None) -> str:
        return "长期" if value is None else value.strftime("%Y%m%d")

    return [
        ("电子证照标识", str(record.identifier)),
        ("证照类型代码", record.licence_type_code),
        ("证照类型名称", record.licence_type_name),
        ("证照编号", record.licence_number),
        ("持证主体", record.holder_name),
        ("持证主体代码", record.holder_code),
        ("持证主体代码类型代码", record.holder_id_type),
        ("证照颁发机构", record.issuer_name),
        ("证照颁发机构代码", record.issuer_code),
        ("证照颁发日期", day(record.issue_date)),
        ("证照有效期起始", day(record.valid_from)),
        ("证照有效期截至", day(record.valid_to)),
        ("证照状态", record.status),
    ]


def _width(builder: DocumentBuilder, text: str, size: float) -> float:
    advance = builder.advance
    return sum([advance(c, size) for c in text])


def _wrap(builder: DocumentBuilder, text: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current, used = "", 0.0
    for char in text:
        advance = builder.advance(char, size)
        if current and used + advance > width + 1e-6:
            if char in _NO_LINE_START:
                current += char  # 避头: closing punctuation hangs at the line end instead
                lines.append(current)
                current, used = "", 0.0
                continue
            lines.append(current)
            current, used = "", 0.0
        current += char
        used += advance
    if current:
        lines.append(current)
    return lines


def layout_text(builder: DocumentBuilder, box: FieldBox, text: str) -> tuple[float, list[str]]:
    """Fit ``text`` into ``box``: the font size and the lines (shrink first, then wrap).

    :raises ValueError: the text does not fit even at ``min_size`` on ``max_lines`` lines.
    """
    size, lines, _ = _layout(builder, box, text)
    return size, lines


def _layout(builder: DocumentBuilder, box: FieldBox, text: str) -> tuple[float, list[str], float | None]:
    """:func:`layout_text`, plus the width of the single line when it was measured on the way."""
    one_line = _width(builder, text, box.size)
    if one_line <= box.width + 1e-6:
        return box.size, [text], one_line
    fit = box.size * box.width / one_line  # default advances are linear in the size
    if fit >= box.min_size:
        size = max(box.min_size, int(fit / _SHRINK_STEP) * _SHRINK_STEP)
        used = _width(builder, text, size)
        if used <= box.width + 1e-6:
            return size, [text], used
    if box.max_lines > 1:
        size = box.size
        while size >= box.min_size - 1e-9:
            lines = _wrap(builder, text, size, box.width)
            if len(lines) <= box.max_lines:
                return size, lines, None
            size -= _SHRINK_STEP
    raise ValueError(f"field {box.field!r}: {text!r} does not fit {box.width:g} mm even at {box.min_size:g} mm "
                     f"on {box.max_lines} line(s); widen the box or allow more lines in the template")


def _aligned_x(x: float, width: float, used: float, align: Align) -> float:
    if align == "center":
        return x + (width - used) / 2
    if align == "right":
        return x + width - used
    return x


def _static_x(x: float, used: float, align: Align) -> float:
    return x - used / 2 if align == "center" else x - used if align == "right" else x


def _fill_field(builder: DocumentBuilder, page: PageBuilder, box: FieldBox, record: LicenceRecord) -> list[int]:
    if box.label:
        page.add_text(box.label, box.x, box.y, size=box.size, color=box.color, bold=box.bold)
    text = field_value(record, box.field, box.date_format)
    if not text:
        return []
    size, lines, measured = _layout(builder, box, text)
    x0 = box.x + box.label_width
    # A shrunk single line keeps the label's baseline; wrapped lines start at the box top.
    y = box.y + (box.size - size) * 0.88 if len(lines) == 1 else box.y
    ids = []
    for line in lines:
        used = measured if measured is not None and len(lines) == 1 else _width(builder, line, size)
        ids.append(page.add_text(line, _aligned_x(x0, box.width, used, box.align), y,
                                 size=size, color=box.color, bold=box.bold))
        y += size * box.line_spacing
    return ids


def _index_xml(page_id: int, entries: Sequence[tuple[FieldBox, list[int]]]) -> bytes:
    """The data index (数据标引, GB/T 33190 §16): each field box and the TextObjects showing it."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>\n',
             f'<tki:Index xmlns:tki="{INDEX_XML_NAMESPACE}" xmlns:ofd="{OFD_NAMESPACE}" Version="1">\n']
    for box, ids in entries:
        refs = "".join(f'<ofd:ObjectRef PageRef="{page_id}">{i}</ofd:ObjectRef>' for i in ids)
        lines.append(f"  <tki:Field Name={quoteattr(box.field)} Format={quoteattr(box.date_format)}>{refs}</tki:Field>\n")
    lines.append("</tki:Index>\n")
    return "".join(lines).encode("utf-8")


def build_licence(
    record: LicenceRecord,
    template: Template,
    *,
    qr_text: str | None = None,
    photo: bytes | None = None,
    attach_xml: bool = False,
) -> bytes:
    """The unsigned licence document (deterministic bytes for the same inputs).

    :param qr_text: the QR payload to draw in the template's QR box (``None``: no QR code).
    :param photo: the holder's photo, PNG or JPEG (``None``: an empty photo frame).
    :raises ValueError: a field does not fit its box, the photo is not PNG/JPEG.
    """
    builder = DocumentBuilder(page_size=(template.page_width, template.page_height))
    builder.set_info(
        title=f"{record.licence_type_name}（{record.licence_number}）",
        author=record.issuer_name,
        subject=record.holder_name,
        creation_date=record.issue_date.isoformat(),
        keywords=("电子证照", record.licence_type_name),
        custom_data=docinfo_fields(record),
    )
    page = builder.add_page()
    width, height = template.page_width, template.page_height
    if template.background_color is not None:
        page.add_rect(0, 0, width, height, stroke=None, fill=template.background_color)
    if template.background_image is not None:
        page.add_image(template.background_image, 0, 0, width, height)
    if template.border is not None:
        b = template.border
        page.add_rect(b.inset, b.inset, width - 2 * b.inset, height - 2 * b.inset, line_width=b.width, stroke=b.color)
    for line in template.lines:
        page.add_line(line.x1, line.y1, line.x2, line.y2, line_width=line.width, color=line.color)
    for text in template.texts:
        used = _width(builder, text.text, text.size)
        page.add_text(text.text, _static_x(text.x, used, text.align), text.y, size=text.size, bold=text.bold,
                      color=text.color)
    index = [(box, _fill_field(builder, page, box, record)) for box in template.fields]
    if template.photo is not None:
        p = template.photo
        if photo is not None:
            page.add_image(photo, p.x, p.y, p.width, p.height)
        else:
            page.add_rect(p.x, p.y, p.width, p.height, line_width=0.3, stroke=(150, 150, 150))
            label_size = min(5.0, p.width / 4)
            page.add_text("照片", p.x + (p.width - 2 * label_size) / 2, p.y + (p.height - label_size) / 2,
                          size=label_size, color=(150, 150, 150))
    if template.qr is not None and qr_text is not None:
        q = template.qr
        page.add_image(qr_image(qr_text), q.x, q.y, q.size, q.size)
        if q.caption:
            size = min(3.0, q.size / max(len(q.caption), 1) * 1.6)
            used = _width(builder, q.caption, size)
            page.add_text(q.caption, q.x + (q.size - used) / 2, q.y + q.size + 1, size=size)
    builder.add_custom_tag(LICENCE_TAG_TYPE, record.to_xml(), file_name=LICENCE_TAG_FILE,
                           name_space=LICENCE_XML_NAMESPACE)
    builder.add_custom_tag(INDEX_TAG_TYPE, _index_xml(page.id, [(b, ids) for b, ids in index if ids]),
                           file_name=INDEX_TAG_FILE, name_space=INDEX_XML_NAMESPACE)
    if attach_xml:
        builder.add_attachment(ATTACHMENT_NAME, record.to_xml(), format="xml", usage=ATTACHMENT_USAGE,
                               creation_date=record.issue_date.isoformat(), visible=False,
                               file_name=ATTACHMENT_NAME)
    return builder.build()


def qr_image(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """The licence's QR code of ``text`` as a 1-bit PNG: :func:`~trustkit.licence.qr.qr_png` at
    error level M, mask :data:`QR_MASK`, a 4-module quiet zone and 4 pixels per module.

    The template's QR box scales it on the page; the example boxes (34 and 40 mm) give modules of
    0.44 mm and more for a typical payload (version 13, 69 modules + quiet zone), above the
    0.33 mm that phone cameras read reliably at arm's length.
    """
    return qr_png(text, scale=scale, border=border, error="m", mask=QR_MASK)


def _qr_lifetime(record: LicenceRecord, now: datetime) -> timedelta:
    # Static QR codes live as long as the licence (the signing certificate caps it further);
    # long-term licences get ten years.
    if record.valid_to is None:
        return timedelta(days=3650)
    end = datetime(record.valid_to.year, record.valid_to.month, record.valid_to.day, 16, tzinfo=timezone.utc)
    return max(end - now, timedelta(days=1))  # 24:00 Beijing time on valid_to


def issue_licence(
    record: LicenceRecord,
    template: Template,
    signer: Signer,
    seal: bytes,
    *,
    qr_signer: Signer | None = None,
    photo: bytes | None = None,
    time: datetime | None = None,
    attach_xml: bool = False,
) -> bytes:
    """Lay out, embed and seal one licence; returns the OFD package bytes.

    :param signer: the issuing authority's seal signer (local key or any remote
        :class:`~trustkit.pki.signer.Signer`); its certificate must be listed in ``seal``.
    :param seal: the authority's electronic seal (DER ``.esl``, GB/T 38540 or GM/T 0031).
    :param qr_signer: who signs the scan-to-show QR payload (SM2 or ES256); default ``signer``.
        Its certificate must be in the verifiers' QR trust list.  Only used if the template has
        a QR box.
    :param photo: the holder's photo (PNG or JPEG), for templates with a photo box.
    :param time: issue time (aware): the seal's signing time and the QR's ``iat``; default now.
    :param attach_xml: also attach the record XML (see the module docstring for why not by default).
    :raises ValueError: a field does not fit, bad photo, signer not in the seal.
    :raises DecodeError: a malformed seal.
    """
    moment = time if time is not None else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    qr_text = None
    if template.qr is not None:
        qr_text = make_qr_payload(record, qr_signer or signer, now=moment, lifetime=_qr_lifetime(record, moment))
    unsigned = build_licence(record, template, qr_text=qr_text, photo=photo, attach_xml=attach_xml)
    s = template.seal
    return stamp_ofd(unsigned, signer, seal=seal, placements=[PagePlacement(0, s.x, s.y, s.width, s.height)],
                     time=moment)
