"""``trustkit seal render|make|show|verify``: seal images and electronic seals (``.esl``).

``render`` draws a round, oval or square seal image at true physical size (PNG with its DPI
recorded, or SVG in millimetres).  ``make`` signs an SES seal as the seal maker (制章者):
GB/T 38540-2020 v4 by default, GM/T 0031-2014 v1 on request.  ``show`` prints what a seal
holds; ``verify`` checks the maker signature, the validity period and, with --trust, the
maker certificate's path (exit 0 valid, 1 invalid, 2 input error).
"""

from __future__ import annotations

import argparse
import base64
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from trustkit.errors import DecodeError
from trustkit.seal.image import (
    MAX_PICTURE_BYTES,
    SealImage,
    load_seal_picture,
    oval_seal,
    round_seal,
    square_seal,
)
from trustkit.seal.ses import (
    MAX_SEAL_BYTES,
    Seal,
    SealPictureInfo,
    SealVerification,
    make_seal,
    parse_seal,
    parse_seal_signature,
    validate_seal,
)

from ._output import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    check_writable,
    command,
    emit,
    password_from,
    read_input,
    refuse_binary_to_terminal,
    wants_json,
    write_output,
)
from .pki import (
    add_trust_options,
    certificate_info,
    iso,
    load_signing_key,
    oid_label,
    parse_time,
    read_certificates,
    read_limited,
    read_one_certificate,
    report_lines,
    validation_context,
    validation_time,
)

KINDS = ("round", "oval", "square")
DEFAULT_SIZE_MM = {"round": 42.0, "oval": 45.0, "square": 20.0}
FORMATS = ("png", "svg")
CERT_LISTS = {"certs": 1, "digests": 2}


# ---- render ------------------------------------------------------------------------------------


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def output_format(path: str, given: str | None) -> str:
    """png or svg: ``--format`` if given, else the extension of ``path``."""
    if given:
        return given
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if path == "-":
        raise CommandError("writing to standard output: give --format png or --format svg")
    raise CommandError(f"cannot tell the image format from {path!r}: name it .png or .svg (or give --format)")


def draw_seal(kind: str, *, org: str | None, name: str | None, code: str | None, size_mm: float | None,
              height_mm: float | None = None, color: str | None = None, font: str | None = None) -> SealImage:
    """The seal image for ``seal render`` (and ``seal make --render-org``)."""
    extra: dict[str, Any] = {}
    if color:
        extra["color"] = color
    if font:
        if not Path(font).is_file():
            raise CommandError(f"no such font file: {font}", code="file_not_found")
        extra["font_path"] = font
    if kind == "square":
        if org:
            raise CommandError("a square seal shows a person's name: give --name (e.g. 张三之印), not --org")
        if code:
            raise CommandError("a square name seal carries no seal code: drop --code")
        if not name:
            raise CommandError("a square seal needs --name (2 to 4 characters, e.g. 张三之印)")
        return square_seal(name, size_mm=size_mm or DEFAULT_SIZE_MM["square"], **extra)
    if not org:
        raise CommandError(f"a {kind} seal needs --org (the organisation's registered name)")
    if kind == "oval":
        width = size_mm or DEFAULT_SIZE_MM["oval"]
        height = height_mm or round(width * 2 / 3, 2)
        return oval_seal(org, seal_name=name if name is not None else "财务专用章", code=code,
                         width_mm=width, height_mm=height, **extra)
    if height_mm is not None:
        raise CommandError("--height-mm applies to oval seals only")
    return round_seal(org, seal_name=name or "", code=code, diameter_mm=size_mm or DEFAULT_SIZE_MM["round"], **extra)


def _render(args: argparse.Namespace) -> int:
    fmt = output_format(args.out, args.format)
    if args.out != "-":
        check_writable(args.out, args.force)
    refuse_binary_to_terminal(args, args.out, fmt == "png", "use --out FILE.png")
    image = draw_seal(args.kind, org=args.org, name=args.name, code=args.code, size_mm=args.size_mm,
                      height_mm=args.height_mm, color=args.color, font=args.font)
    data = image.png(args.dpi) if fmt == "png" else image.svg().encode("utf-8")
    payload: dict[str, Any] = {"kind": args.kind, "format": fmt, "width_mm": image.width_mm,
                               "height_mm": image.height_mm, "dpi": args.dpi if fmt == "png" else None,
                               "bytes": len(data), "title": image.title}
    if fmt == "png":
        payload["width_px"] = round(image.width_mm / 25.4 * args.dpi)
        payload["height_px"] = round(image.height_mm / 25.4 * args.dpi)
    if args.out == "-":
        if wants_json(args):
            key = "png_base64" if fmt == "png" else "svg"
            emit(args, {**payload, key: base64.b64encode(data).decode("ascii") if fmt == "png" else data.decode()}, "")
        else:
            write_output("-", data)
        return EXIT_OK
    write_output(args.out, data, force=args.force)
    size = f"{image.width_mm:g} x {image.height_mm:g} mm"
    pixels = f", {payload['width_px']} x {payload['height_px']} px at {args.dpi:g} dpi" if fmt == "png" else ""
    emit(args, {**payload, "file": args.out},
         f"wrote {args.kind} seal {args.out} ({fmt.upper()}, {size}{pixels}): {image.title}")
    return EXIT_OK


# ---- make --------------------------------------------------------------------------------------


def _size_pair(text: str, option: str) -> tuple[float, float]:
    """``42`` or ``45x30`` (mm)."""
    parts = text.lower().replace("mm", "").split("x")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not all(0 < v <= 1000 for v in values):
        raise CommandError(f"{option} {text!r}: give the size in mm as 42 or 45x30")
    return (values[0], values[-1])


def _picture(args: argparse.Namespace) -> tuple[SealPictureInfo, str]:
    """The seal picture: a file given with --picture, or a round seal drawn with --render-org."""
    size = _size_pair(args.picture_size_mm, "--picture-size-mm") if args.picture_size_mm else None
    if args.render_org:
        image = draw_seal(args.render_kind, org=args.render_org, name=args.render_name, code=args.render_code,
                          size_mm=size[0] if size else None,
                          height_mm=size[1] if size and args.render_kind == "oval" else None)
        return SealPictureInfo.from_image(image, dpi=args.dpi), f"rendered {args.render_kind} seal ({image.title})"
    data = read_input(args.picture, "seal picture")
    if len(data) > MAX_PICTURE_BYTES:
        raise CommandError(f"{args.picture}: the picture is {len(data)} bytes; the limit is {MAX_PICTURE_BYTES}",
                           code="decode_error")
    try:
        picture = load_seal_picture(data)
    except DecodeError as exc:
        raise DecodeError(f"{args.picture}: {exc.message}", code=exc.code) from None
    if size is None and (picture.width_mm is None or picture.height_mm is None):
        raise CommandError(f"{args.picture} states no physical size: give --picture-size-mm (e.g. 42 or 45x30)")
    info = SealPictureInfo.from_picture(picture, width_mm=size[0] if size else None,
                                        height_mm=size[1] if size else None)
    return info, f"picture {args.picture}"


def _validity(args: argparse.Namespace) -> tuple[datetime, datetime]:
    start = parse_time(args.valid_from, "--valid-from") if args.valid_from else datetime.now(timezone.utc)
    start = start.replace(microsecond=0)
    if args.valid_to:
        end = parse_time(args.valid_to, "--valid-to")
    else:
        if args.valid_days < 1:
            raise CommandError("--valid-days must be at least 1")
        end = start + timedelta(days=args.valid_days)
    if end <= start:
        raise CommandError("the seal's validity must end after it starts (--valid-to after --valid-from)")
    return start, end


def _make(args: argparse.Namespace) -> int:
    if args.out == "-":
        raise CommandError("seal make writes a file: give --out SEAL.esl")
    if args.version == 1 and args.cert_list != "certs":
        raise CommandError("a v1 seal (GM/T 0031-2014) lists certificates only: drop --cert-list digests")
    if args.type < 0:
        raise CommandError("--type must be a non-negative integer")
    check_writable(args.out, args.force)
    start, end = _validity(args)
    maker_key = load_signing_key(read_limited(args.maker_key, "seal maker key"), password_from(args),
                                 what="the seal maker key")
    maker_cert = read_one_certificate(args.maker_cert, "seal maker certificate")
    signers = read_certificates(args.signer_cert, "signer certificate")
    picture, picture_note = _picture(args)
    der = make_seal(args.version, esid=args.esid, name=args.name, seal_type=args.type, signer_certificates=signers,
                    valid_from=start, valid_to=end, picture=picture, maker_certificate=maker_cert,
                    maker_key=maker_key, vendor_id=args.vendor_id, cert_list_type=CERT_LISTS[args.cert_list])
    write_output(args.out, der, force=args.force)
    seal = parse_seal(der)
    standard = "GB/T 38540-2020" if args.version == 4 else "GM/T 0031-2014"
    lines = [f"wrote seal {args.out} (SES v{args.version}, {standard}, {len(der)} bytes)",
             f"  name     {seal.name}",
             f"  esID     {seal.esid}   type {seal.seal_type}",
             f"  valid    {iso(seal.valid_start)} .. {iso(seal.valid_end)}",
             f"  picture  {picture.type} {picture.width_mm} x {picture.height_mm} mm ({picture_note})",
             f"  maker    {maker_cert.subject_text}"]
    lines += [f"  signer   {cert.subject_text}" for cert in signers]
    emit(args, {"seal_file": args.out, "bytes": len(der), **_seal_info(seal)}, "\n".join(lines))
    return EXIT_OK


# ---- show / verify -----------------------------------------------------------------------------


def read_seal(path: str) -> tuple[Seal, str | None]:
    """A seal from an ``.esl`` file, or the seal inside an SES_Signature (OFD SignedValue.dat).

    :returns: the seal and, for a signature, a line saying who signed when.
    """
    data = read_input(path, "seal")
    if len(data) > MAX_SEAL_BYTES:
        raise CommandError(f"{path}: {len(data)} bytes is too large for a seal (limit {MAX_SEAL_BYTES})",
                           code="decode_error")
    try:
        return parse_seal(data), None
    except DecodeError as exc:
        seal_error = exc
    try:
        signature = parse_seal_signature(data)
    except DecodeError:
        raise DecodeError(f"{path}: {seal_error.message}", code=seal_error.code) from None
    when = iso(signature.time_info) if signature.time_info else "an unknown time"
    return signature.seal, (f"{path} is a seal signature (SES_Signature v{signature.version}) by "
                            f"{signature.signer_certificate.subject_text} at {when}; showing its seal")


def _picture_info(seal: Seal) -> dict[str, Any]:
    picture = seal.picture
    info: dict[str, Any] = {"type": picture.type, "width_mm": picture.width_mm, "height_mm": picture.height_mm,
                            "bytes": len(picture.data), "width_px": None, "height_px": None}
    try:
        checked = load_seal_picture(picture.data)
    except DecodeError as exc:
        info["problem"] = exc.message
    else:
        info["width_px"], info["height_px"] = checked.width_px, checked.height_px
    return info


def _seal_info(seal: Seal) -> dict[str, Any]:
    return {
        "version": seal.version,
        "header_version": seal.header_version,
        "vendor_id": seal.vendor_id,
        "esid": seal.esid,
        "name": seal.name,
        "type": seal.seal_type,
        "cert_list_type": seal.cert_list_type,
        "created": iso(seal.created),
        "valid_start": iso(seal.valid_start),
        "valid_end": iso(seal.valid_end),
        "picture": _picture_info(seal),
        "signer_certificates": [certificate_info(c) for c in seal.signer_certificates],
        "signer_certificate_digests": [{"type": d.type, "value": d.value.hex()} for d in seal.signer_certificate_digests],
        "maker_certificate": certificate_info(seal.maker_certificate),
        "signature_algorithm": seal.signature_algorithm,
        "ext_datas": [{"oid": e.oid, "critical": e.critical, "bytes": len(e.value)} for e in seal.ext_datas],
        "timestamp_present": seal.timestamp is not None,
        "warnings": list(seal.warnings),
    }


def _seal_lines(info: dict[str, Any]) -> list[str]:
    versions = {1: "GM/T 0031-2014", 4: "GB/T 38540-2020", 5: "GM/T 0031-2025"}
    pic = info["picture"]
    pixels = f", {pic['width_px']} x {pic['height_px']} px" if pic["width_px"] else ""
    lines = [
        f"seal         {info['name']}",
        (f"version      v{info['version']} ({versions.get(info['version'], '?')}), header version "
         f"{info['header_version']}, vendor {info['vendor_id']!r}"),
        f"esID         {info['esid']}",
        f"type         {info['type']}",
        f"created      {info['created']}",
        f"valid        {info['valid_start']} .. {info['valid_end']}",
        f"picture      {pic['type']}, {pic['width_mm']} x {pic['height_mm']} mm, {pic['bytes']} bytes{pixels}",
        f"maker        {info['maker_certificate']['subject']}",
        f"  issuer     {info['maker_certificate']['issuer']}",
        (f"  serial     {info['maker_certificate']['serial_number']}, valid until "
         f"{info['maker_certificate']['not_after']}"),
        f"signature    {oid_label(info['signature_algorithm'])}",
    ]
    if info["cert_list_type"] == 2:
        lines.append(f"signers      {len(info['signer_certificate_digests'])} certificate digest(s) (certListType 2)")
        lines += [f"  {d['type']} {d['value']}" for d in info["signer_certificate_digests"]]
    else:
        lines.append(f"signers      {len(info['signer_certificates'])} certificate(s)")
        for cert in info["signer_certificates"]:
            lines.append(f"  {cert['subject']}  serial {cert['serial_number']}  until {cert['not_after']}")
    if info["ext_datas"]:
        lines.append("extensions   " + ", ".join(f"{e['oid']}{' (critical)' if e['critical'] else ''}"
                                               for e in info["ext_datas"]))
    if info["timestamp_present"]:
        lines.append("timestamp    present (GM/T 0031-2025 seal timestamp)")
    lines += [f"note         {warning}" for warning in info["warnings"]]
    return lines


def _show(args: argparse.Namespace) -> int:
    if args.picture_out and args.picture_out != "-":
        check_writable(args.picture_out, args.force)
    seal, note = read_seal(args.seal)
    info = _seal_info(seal)
    lines = ([note] if note else []) + _seal_lines(info)
    if args.picture_out:
        if args.picture_out == "-" and wants_json(args):
            raise CommandError("--picture-out - and --json would mix the picture with the JSON result")
        refuse_binary_to_terminal(args, args.picture_out, True, "use --picture-out FILE")
        write_output(args.picture_out, seal.picture.data, force=args.force)
        if args.picture_out == "-":
            return EXIT_OK
        info["picture_file"] = args.picture_out
        lines.append(f"wrote the picture to {args.picture_out} ({seal.picture.type})")
    if note:
        info["note"] = note
    emit(args, info, "\n".join(lines))
    return EXIT_OK


def verification_lines(result: SealVerification) -> list[str]:
    seal = result.seal
    head = f"seal {seal.name!r} (esID {seal.esid}, v{seal.version})"
    lines = [f"{'valid' if result.valid else 'invalid'}: {head}"]
    lines.append(f"  maker signature  {'valid' if result.maker_signature_valid else 'INVALID'} "
                 f"({seal.maker_certificate.subject_text})")
    lines.append(f"  validity         {iso(seal.valid_start)} .. {iso(seal.valid_end)}, checked at "
                 f"{iso(result.checked_at)}: {'within' if result.within_validity else 'OUTSIDE'}")
    if result.chain is not None:
        lines.append("  maker chain      " + report_lines(result.chain)[0])
        lines += ["  " + line for line in report_lines(result.chain)[1:]]
    else:
        lines.append("  maker chain      not checked (give --trust ROOT.pem)")
    for failure in result.failures:
        lines.append(f"  {failure.code}: {failure.message}")
    lines += [f"  note: {warning}" for warning in result.warnings]
    return lines


def _verify(args: argparse.Namespace) -> int:
    seal, note = read_seal(args.seal)
    context = validation_context(args) if args.trust else None
    if context is None and (args.untrusted or args.crl or args.require_revocation):
        raise CommandError("--untrusted, --crl and --require-revocation need --trust ROOT.pem")
    result = validate_seal(seal, at=validation_time(args), context=context)
    payload = result.to_dict()
    if not result.valid:
        first = result.failures[0]
        payload["error"] = {"code": first.code, "message": "; ".join(f"{f.code}: {f.message}" for f in result.failures)}
    lines = ([note] if note else []) + verification_lines(result)
    emit(args, payload, "\n".join(lines), ok=result.valid)
    return EXIT_OK if result.valid else EXIT_INVALID


# ---- registration ------------------------------------------------------------------------------


def register(sub: Any) -> None:
    seal = sub.add_parser(
        "seal", help="draw seal images and make, show and verify electronic seals (.esl)",
        description="Seal images (round, oval, square) and electronic seals: GB/T 38540-2020 (SES v4)\n"
                    "and GM/T 0031-2014 (v1).",
        epilog="Run 'trustkit seal COMMAND --help' for the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    seal_sub = seal.add_subparsers(dest="seal_command", metavar="{render,make,show,verify}", title="commands")
    seal_sub.required = True

    render = command(
        seal_sub, "render", help="draw a seal image (PNG at a DPI, or SVG) at true size",
        description="Draw a round official seal (organisation along the upper arc, star, seal name,\n"
                    "optional 13-digit code along the lower arc), an oval seal, or a square personal\n"
                    "name seal. Red on a transparent background, at true physical size: PNG records\n"
                    "its DPI, SVG is sized in mm. The format follows --out's extension (.png/.svg).\n"
                    "Lettering uses a CJK font of the system (Debian: apt-get install fonts-noto-cjk).",
        examples="  trustkit seal render --kind round --org 某某市市场监督管理局 --name 合同专用章 "
                 "--code 3301000012345 --out seal.png\n"
                 "  trustkit seal render --kind oval --org 某某科技有限公司 --name 财务专用章 --size-mm 45 --out f.svg\n"
                 "  trustkit seal render --kind square --name 张三之印 --size-mm 20 --dpi 600 --out name.png",
    )
    render.add_argument("--kind", choices=KINDS, default="round", help="round (default), oval or square")
    render.add_argument("--org", metavar="TEXT", help="organisation name along the upper arc (round, oval)")
    render.add_argument("--name", metavar="TEXT",
                        help="seal name across the middle (e.g. 合同专用章; oval default 财务专用章), "
                             "or the person's name for a square seal (e.g. 张三之印)")
    render.add_argument("--code", metavar="DIGITS", help="13-digit seal code along the lower arc")
    render.add_argument("--size-mm", type=_positive_float, metavar="MM",
                        help="diameter (round, 42), width (oval, 45) or side (square, 20) in mm")
    render.add_argument("--height-mm", type=_positive_float, metavar="MM",
                        help="height of an oval seal (default two thirds of the width)")
    render.add_argument("--dpi", type=_positive_float, default=300.0, metavar="DPI", help="PNG resolution (300)")
    render.add_argument("--color", metavar="#RRGGBB", help="ink colour (default #E60012)")
    render.add_argument("--font", metavar="FILE", help="a TTF/OTF/TTC font to use instead of the system's CJK font")
    render.add_argument("--format", choices=FORMATS, help="png or svg (default: from --out's extension)")
    render.add_argument("--out", required=True, metavar="FILE", help="image file to write (.png or .svg)")
    render.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    render.set_defaults(handler=_render)

    make = command(
        seal_sub, "make", help="make an electronic seal signed by the seal maker",
        description="Make an electronic seal (SESeal): name, esID, type, the signer certificates allowed to\n"
                    "stamp with it, the validity period and the picture, signed with the seal maker's\n"
                    "key. SES v4 (GB/T 38540-2020) by default; --version 1 for GM/T 0031-2014.\n"
                    "The picture is a file (PNG, JPEG, GIF, BMP, SVG or OFD) or a round seal drawn from\n"
                    "--render-org.",
        examples="  trustkit seal make --maker-key maker.key.pem --maker-cert maker.pem --signer-cert signer.pem \\\n"
                 "      --name 某某市市场监督管理局合同专用章 --esid 33010000000001 --picture seal.png --out seal.esl\n"
                 "  trustkit seal make --maker-key m.key --maker-cert m.pem --signer-cert s.pem --name 公章 \\\n"
                 "      --esid 33010000000002 --render-org 某某市市场监督管理局 --valid-days 365 --version 1 "
                 "--out v1.esl",
    )
    make.add_argument("--maker-key", required=True, metavar="KEY", help="the seal maker's private key")
    make.add_argument("--maker-cert", required=True, metavar="CERT", help="the seal maker's certificate")
    make.add_argument("--signer-cert", required=True, action="append", metavar="CERT",
                      help="a certificate allowed to stamp with this seal (repeatable; a file may hold several)")
    make.add_argument("--name", required=True, metavar="TEXT", help="seal name, e.g. 某某局合同专用章")
    make.add_argument("--esid", required=True, metavar="ID", help="seal identifier (ASCII, e.g. 14 digits)")
    make.add_argument("--type", type=int, default=1, metavar="N",
                      help="seal type (business-defined; 1 organisation seal, 2 personal seal; default 1)")
    pictures = make.add_mutually_exclusive_group(required=True)
    pictures.add_argument("--picture", metavar="FILE", help="seal picture: PNG, JPEG, GIF, BMP, SVG or OFD")
    pictures.add_argument("--render-org", metavar="TEXT", help="draw the picture: a seal for this organisation")
    make.add_argument("--render-kind", choices=("round", "oval"), default="round",
                      help="shape drawn by --render-org (round)")
    make.add_argument("--render-name", metavar="TEXT", help="seal name drawn in the picture (e.g. 合同专用章)")
    make.add_argument("--render-code", metavar="DIGITS", help="13-digit seal code drawn along the lower arc")
    make.add_argument("--picture-size-mm", metavar="MM",
                      help="picture size in mm, 42 or 45x30 (default: what the picture states; "
                           "needed for OFD pictures and rasters without a DPI)")
    make.add_argument("--dpi", type=_positive_float, default=300.0, metavar="DPI",
                      help="resolution of a --render-org picture (300)")
    validity = make.add_mutually_exclusive_group()
    validity.add_argument("--valid-days", type=int, default=1095, metavar="N", help="validity in days (1095)")
    validity.add_argument("--valid-to", metavar="TIME", help="end of validity, ISO 8601")
    make.add_argument("--valid-from", metavar="TIME", help="start of validity, ISO 8601 (default now)")
    make.add_argument("--version", type=int, choices=(4, 1), default=4,
                      help="4 (GB/T 38540-2020, default) or 1 (GM/T 0031-2014)")
    make.add_argument("--cert-list", choices=list(CERT_LISTS), default="certs",
                      help="v4: list the signer certificates (certs, default) or their SM3 digests")
    make.add_argument("--vendor-id", default="trustkit", metavar="TEXT", help="SES_Header Vid (trustkit)")
    make.add_argument("--out", required=True, metavar="SEAL.esl", help="seal file to write (DER)")
    make.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_password_options(make, "password", "the seal maker key")
    make.set_defaults(handler=_make)

    show = command(
        seal_sub, "show", help="show what a seal holds (and extract its picture)",
        description="Show a seal's version, esID, name, type, validity, picture (type and size in mm),\n"
                    "signer certificates and maker. Also reads a seal signature (an OFD SignedValue.dat)\n"
                    "and shows the seal inside it.",
        examples="  trustkit seal show seal.esl\n  trustkit seal show seal.esl --picture-out picture.png --json",
    )
    show.add_argument("seal", metavar="SEAL", help="seal file (.esl, DER) or SES_Signature; '-' for stdin")
    show.add_argument("--picture-out", metavar="FILE", help="write the seal's picture to FILE")
    show.add_argument("--force", action="store_true", help="overwrite an existing --picture-out file")
    show.set_defaults(handler=_show)

    verify = command(
        seal_sub, "verify", help="verify a seal (exit 0 valid, 1 invalid, 2 error)",
        description="Check a seal: the seal maker's signature, the validity period at --at (default now),\n"
                    "the certificate list type and, with --trust, the maker certificate's path\n"
                    "(purpose seal-making, CRLs from --crl).",
        examples="  trustkit seal verify seal.esl\n"
                 "  trustkit seal verify seal.esl --trust root.pem --untrusted chain.pem --at 2027-01-01T00:00:00Z",
    )
    verify.add_argument("seal", metavar="SEAL", help="seal file (.esl) or SES_Signature; '-' for stdin")
    add_trust_options(verify, trust_required=False)
    verify.set_defaults(handler=_verify)


__all__ = ["draw_seal", "output_format", "read_seal", "register", "verification_lines"]
