"""The drawing kit over Pillow: a light card, fonts, text (also upright-rotated), lines, dashes.

Everything is drawn at twice the output size and halved at the end (`png`), which anti-aliases the
sloped lines Pillow itself draws hard-edged. Coordinates given to this module are in output pixels.
The font is the one Pillow bundles (Aileron Regular, via `load_default(size)`), so no system font
is needed; it covers printable ASCII and "·" only (see `scale.drawable`).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageColor, ImageDraw, ImageFont

from bot.charts.scale import drawable

SUPERSAMPLE = 2
# An opaque light card: it reads the same on Slack's light and dark themes, and the border gives it
# an edge on the light one.
BACKGROUND, BORDER = "#FFFFFF", "#C9C9C9"
INK, MUTED, GRID = "#1D1C1D", "#5E5D60", "#E3E3E3"
Point = tuple[float, float]


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


class Canvas:
    """One chart being drawn; `png()` finishes it."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        s = SUPERSAMPLE
        self.image = Image.new("RGB", (width * s, height * s), BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)
        self.draw.rectangle((0, 0, width * s - 1, height * s - 1), outline=BORDER, width=2 * s)

    def text(
        self, xy: Point, text: str, size: int, *, fill: str = INK, anchor: str = "la", bold: bool = False
    ) -> None:
        """Text at `xy` (Pillow anchors: "la" left-ascender, "mb" middle-bottom, "rm" right-middle...)."""
        s = SUPERSAMPLE
        self.draw.text(
            (xy[0] * s, xy[1] * s),
            drawable(text),
            font=_font(size * s),
            fill=fill,
            anchor=anchor,
            stroke_width=s // 2 if bold else 0,
            stroke_fill=fill,
        )

    def text_width(self, text: str, size: int) -> float:
        return _font(size * SUPERSAMPLE).getlength(drawable(text)) / SUPERSAMPLE

    def upright_text(self, x: float, bottom: float, text: str, size: int, *, fill: str = INK) -> None:
        """Text turned 90° (read bottom to top), centred on `x`, its end at `bottom`."""
        s, font = SUPERSAMPLE, _font(size * SUPERSAMPLE)
        left, top, right, low = font.getbbox(drawable(text), anchor="ls")
        mask = Image.new("L", (int(right - left) + 2, int(low - top) + 2), 0)
        ImageDraw.Draw(mask).text((-left + 1, -top + 1), drawable(text), font=font, fill=255, anchor="ls")
        turned = mask.rotate(90, expand=True)
        self.image.paste(fill, (int(x * s - turned.width / 2), int(bottom * s - turned.height)), turned)

    def rect(self, box: tuple[float, float, float, float], fill: str) -> None:
        s = SUPERSAMPLE
        self.draw.rectangle(tuple(round(v * s) for v in box), fill=fill)

    def line(self, points: Sequence[Point], fill: str, width: float, *, dash: float = 0) -> None:
        """A polyline; `dash` > 0 draws it dashed with dashes and gaps of that length."""
        s = SUPERSAMPLE
        scaled = [(x * s, y * s) for x, y in points]
        if not dash:
            self.draw.line(scaled, fill=fill, width=round(width * s), joint="curve")
            return
        for a, b in itertools.pairwise(scaled):
            self._dashed(a, b, fill, round(width * s), dash * s)

    def _dashed(self, a: Point, b: Point, fill: str, width: int, dash: float) -> None:
        length = ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5
        steps = max(1, int(length // dash))
        for i in range(0, steps, 2):
            f0, f1 = i / steps, min(1.0, (i + 1) / steps)
            start = (a[0] + (b[0] - a[0]) * f0, a[1] + (b[1] - a[1]) * f0)
            self.draw.line([start, (a[0] + (b[0] - a[0]) * f1, a[1] + (b[1] - a[1]) * f1)], fill, width)

    def dot(self, center: Point, radius: float, fill: str) -> None:
        s, (x, y) = SUPERSAMPLE, center
        self.draw.ellipse(((x - radius) * s, (y - radius) * s, (x + radius) * s, (y + radius) * s), fill=fill)

    def png(self) -> bytes:
        out = io.BytesIO()
        # A chart has a handful of colours and their anti-aliased edges: 256 palette entries keep it
        # looking the same, and a palette PNG encodes ~3x faster and ~3x smaller than an RGB one.
        small = self.image.reduce(SUPERSAMPLE).quantize(256, method=Image.Quantize.FASTOCTREE)
        # The octree shifts the card to #FEFEFE; put its most common colour back to the exact background.
        palette = small.getpalette() or []
        counts = small.histogram()  # per palette entry
        index = counts.index(max(counts))
        palette[3 * index : 3 * index + 3] = ImageColor.getrgb(BACKGROUND)
        small.putpalette(palette)
        small.save(out, format="PNG")
        return out.getvalue()
