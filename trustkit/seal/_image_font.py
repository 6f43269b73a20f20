"""Finding a CJK font on the system and reading glyph outlines from it (fontTools).

Seal images use real font glyphs, never hand-drawn ones.  The preferred face is a
bold Song/serif ("简化的宋体字", the lettering official seals use), looked up first at
the paths Debian's ``fonts-noto-cjk`` and ``fonts-wqy-zenhei`` install, then through
``fc-match``.  Every candidate is checked for coverage of common seal characters, so
fontconfig's habit of answering with a Latin font never yields tofu.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from fontTools.pens.basePen import BasePen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTCollection, TTFont, TTLibError

from trustkit.errors import ConfigurationError

__all__ = ["SealFont", "find_font", "load_font"]

Point = tuple[float, float]
# One outline segment: ("M", p), ("L", p), ("Q", c, p), ("C", c1, c2, p) or ("Z",).
Segment = tuple[object, ...]
Affine = tuple[float, float, float, float, float, float]

_INSTALL_HINT = (
    "install a CJK font (Debian/Ubuntu: `apt-get install fonts-noto-cjk`; "
    "Fedora: `dnf install google-noto-serif-cjk-fonts`) or pass font_path= to a TTF/OTF/TTC file"
)

# Characters a seal font must have; "国" and "章" are in every Chinese font, the digits
# are needed for the 13-digit seal code.
_PROBE = "国章印0123456789"

# Known locations, best first: a bold serif (Song-like) face, then regular serif, then sans.
_KNOWN_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-serif-cjk-fonts/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/simfang.ttf",
)

# fontconfig patterns tried when none of the known paths exists.
_FC_PATTERNS: tuple[str, ...] = (
    "Noto Serif CJK SC:style=Bold",
    "serif:lang=zh-cn:style=Bold",
    "serif:lang=zh-cn",
    "sans-serif:lang=zh-cn",
)


class _RecordingPen(BasePen):  # type: ignore[misc]  # fontTools ships no type information
    """Records an outline as segments, decomposing TrueType implied points (BasePen does that)."""

    def __init__(self) -> None:
        super().__init__(glyphSet=None)
        self.segments: list[Segment] = []

    def _moveTo(self, pt: Point) -> None:
        self.segments.append(("M", pt))

    def _lineTo(self, pt: Point) -> None:
        self.segments.append(("L", pt))

    def _curveToOne(self, pt1: Point, pt2: Point, pt3: Point) -> None:
        self.segments.append(("C", pt1, pt2, pt3))

    def _qCurveToOne(self, pt1: Point, pt2: Point) -> None:
        self.segments.append(("Q", pt1, pt2))

    def _closePath(self) -> None:
        self.segments.append(("Z",))

    def _endPath(self) -> None:
        self.segments.append(("Z",))


@dataclass(frozen=True)
class _Glyph:
    advance: float
    segments: tuple[Segment, ...]  # font units, y up


class SealFont:
    """One face of a font file, with the metrics seal layout needs.

    ``em_bottom``/``em_top`` bound the ideographic em box (font units, y up); a
    character cell is ``[0, advance] x [em_bottom, em_top]``.
    """

    def __init__(self, path: str, index: int) -> None:
        self.path = path
        self.index = index
        self._lock = threading.Lock()
        try:
            self._font = TTFont(path, fontNumber=index, lazy=True)
            self._cmap: dict[int, str] = self._font.getBestCmap() or {}
            self._glyph_set = self._font.getGlyphSet()
            self.units_per_em = float(self._font["head"].unitsPerEm)
            os2 = self._font.get("OS/2")
            descender = float(os2.sTypoDescender) if os2 is not None else -0.12 * self.units_per_em
        except Exception as exc:  # fontTools raises many kinds of errors on bad files
            raise ConfigurationError(f"cannot read font {path!r} (face {index}): {exc}; {_INSTALL_HINT}") from exc
        # CJK fonts put the ideographic em box at [descender, descender + em]; clamp odd values.
        if not -0.3 * self.units_per_em <= descender <= 0:
            descender = -0.12 * self.units_per_em
        self.em_bottom = descender
        self.em_top = descender + self.units_per_em
        self._cache: dict[str, _Glyph] = {}

    def covers(self, text: str) -> bool:
        return all(ord(ch) in self._cmap for ch in text)

    def missing(self, text: str) -> str:
        return "".join(sorted({ch for ch in text if ord(ch) not in self._cmap}))

    def glyph(self, ch: str) -> _Glyph:
        with self._lock:  # TTFont loads tables lazily and is not thread-safe
            cached = self._cache.get(ch)
            if cached is not None:
                return cached
            name = self._cmap.get(ord(ch))
            if name is None:
                raise ValueError(f"font {self.path!r} has no glyph for {ch!r}; pass font_path= to a font that has it")
            recorded = _RecordingPen()
            source = self._glyph_set[name]
            source.draw(recorded)
            glyph = _Glyph(float(source.width), tuple(recorded.segments))
            self._cache[ch] = glyph
            return glyph

    def advance(self, ch: str) -> float:
        return self.glyph(ch).advance

    def outline(self, ch: str, transform: Affine) -> list[Segment]:
        """The glyph's segments mapped through ``transform`` (fontTools affine order a, b, c, d, e, f)."""
        out = _RecordingPen()
        replay = TransformPen(out, transform)
        for seg in self.glyph(ch).segments:
            op = seg[0]
            if op == "M":
                replay.moveTo(seg[1])
            elif op == "L":
                replay.lineTo(seg[1])
            elif op == "C":
                replay.curveTo(seg[1], seg[2], seg[3])
            elif op == "Q":
                replay.qCurveTo(seg[1], seg[2])
            else:
                replay.closePath()
        return out.segments


def _pick_face(path: str) -> int:
    """The face to use in a collection: the Simplified Chinese one when there is one."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    try:
        collection = TTCollection(path, lazy=True)
        names = [str(font["name"].getDebugName(1) or "") for font in collection.fonts]
    except (OSError, TTLibError, KeyError):
        return 0
    for index, name in enumerate(names):
        if name.endswith(" SC") or "GB" in name or name in ("SimSun", "Songti SC"):
            return index
    return 0


def _fc_match(pattern: str) -> tuple[str, int] | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        result = subprocess.run(
            [exe, "-f", "%{file}|%{index}", pattern], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, index = result.stdout.strip().partition("|")
    if result.returncode != 0 or not file:
        return None
    return file, int(index) if index.isdigit() else 0


@functools.lru_cache(maxsize=8)
def load_font(path: str, index: int | None = None) -> SealFont:
    """Open one face of a font file (cached); ``index=None`` picks the Simplified Chinese face of a collection."""
    if not os.path.isfile(path):
        raise ConfigurationError(f"font file {path!r} does not exist; {_INSTALL_HINT}")
    return SealFont(path, _pick_face(path) if index is None else index)


def find_font(font_path: str | os.PathLike[str] | None = None) -> SealFont:
    """The font for seal lettering: ``font_path`` if given, else the best CJK font installed.

    :raises ConfigurationError: no usable CJK font was found, with the command that installs one.
    """
    if font_path is not None:
        return load_font(str(Path(font_path)))
    for path in _KNOWN_PATHS:
        if os.path.isfile(path):
            font = load_font(path)
            if font.covers(_PROBE):
                return font
    for pattern in _FC_PATTERNS:
        match = _fc_match(pattern)
        if match is not None and os.path.isfile(match[0]):
            try:
                font = load_font(match[0], match[1])
            except ConfigurationError:
                continue
            if font.covers(_PROBE):
                return font
    raise ConfigurationError(f"no CJK font found for seal images; {_INSTALL_HINT}")
