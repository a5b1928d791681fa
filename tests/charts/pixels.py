"""Reading a chart back: decode the PNG with Pillow and count what a viewer would see."""

from __future__ import annotations

import io

from PIL import Image, ImageChops

WHITE = (255, 255, 255)


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGB")


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def mask(image: Image.Image, hex_colour: str, tolerance: int = 24) -> Image.Image:
    """An "L" image: 255 where a pixel is within `tolerance` of the colour on every channel."""
    difference = ImageChops.difference(image, Image.new("RGB", image.size, rgb(hex_colour)))
    bands = [band.point(lambda v: 255 if v <= tolerance else 0) for band in difference.split()]
    return ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])


def count(image: Image.Image, hex_colour: str) -> int:
    """Pixels of (nearly) this colour."""
    return mask(image, hex_colour).histogram()[255]


def runs(image: Image.Image, y: int, hex_colour: str) -> int:
    """How many separate horizontal stretches of this colour row `y` crosses (bars, say)."""
    row = mask(image.crop((0, y, image.width, y + 1)), hex_colour).tobytes()
    return sum(1 for x, value in enumerate(row) if value and (x == 0 or not row[x - 1]))


def ink_box(image: Image.Image, border: int = 3) -> tuple[int, int, int, int] | None:
    """Bounding box of everything drawn inside the card's border (what is not background)."""
    inner = image.crop((border, border, image.width - border, image.height - border))
    background = Image.new("RGB", inner.size, WHITE)
    box = ImageChops.difference(inner, background).getbbox()
    return None if box is None else (box[0] + border, box[1] + border, box[2] + border, box[3] + border)


def column_counts(image: Image.Image, hex_colour: str) -> list[int]:
    """Per column, the pixels of this colour (a vertical marker shows as one tall column)."""
    turned = mask(image, hex_colour).transpose(Image.Transpose.ROTATE_90)  # columns become rows
    data = turned.tobytes()
    return [data[row * turned.width : (row + 1) * turned.width].count(255) for row in range(turned.height)]
