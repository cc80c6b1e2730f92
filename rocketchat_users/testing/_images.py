"""Generated avatar images: letters SVG, and tiny valid PNG / JPEG files (stdlib only).

§9: the server rasterises the letters for ``?format=png|jpg``; the emulator answers a solid
square PNG in the avatar's colour, and a fixed 8x8 grey baseline JPEG, so clients get real,
decodable image bytes of the requested type without any imaging library.
"""

from __future__ import annotations

import hashlib
import html
import struct
import zlib

_COLORS = ("#F44336", "#E91E63", "#9C27B0", "#673AB7", "#3F51B5", "#2196F3", "#03A9F4",
           "#00BCD4", "#009688", "#4CAF50", "#8BC34A", "#CDDC39", "#FFC107", "#FF9800",
           "#FF5722", "#795548", "#9E9E9E", "#607D8B")


def color_for(text: str) -> str:
    digest = hashlib.md5(text.encode(), usedforsecurity=False).digest()
    return _COLORS[digest[0] % len(_COLORS)]


def letters_svg(text: str, size: int = 200) -> bytes:
    initials = (text[:1] or "?").upper()
    color = color_for(text)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}">'
        f'<rect width="100%" height="100%" fill="{color}"/>'
        f'<text x="50%" y="50%" dy="0.36em" text-anchor="middle" pointer-events="none" '
        f'fill="#ffffff" font-family="Helvetica, Arial, sans-serif" font-size="{size * 0.6:g}">'
        f"{html.escape(initials)}</text></svg>"
    ).encode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def solid_png(color: str, size: int) -> bytes:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    row = b"\x00" + bytes((r, g, b)) * size
    raw = row * size
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def grey_jpeg() -> bytes:
    """One 8x8 grey block: DC difference 0 and an immediate end-of-block, one-symbol tables."""
    one_symbol = bytes([1] + [0] * 15) + b"\x00"
    return (b"\xff\xd8"
            + _segment(0xDB, b"\x00" + b"\x01" * 64)
            + _segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
            + _segment(0xC4, b"\x00" + one_symbol)
            + _segment(0xC4, b"\x10" + one_symbol)
            + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
            + b"\x3f"
            + b"\xff\xd9")
