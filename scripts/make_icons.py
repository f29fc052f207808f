#!/usr/bin/env python3
"""Draws the app's icons (app/appserver/static/*.png): a tunnel mouth with an arrow leaving it, on the app colour.

Pure Python (zlib + struct), so that the icons can be redrawn anywhere: python scripts/make_icons.py
"""

import math
import os
import struct
import zlib

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app", "appserver", "static")
BLUE, WHITE, ORANGE = (31, 78, 121), (255, 255, 255), (242, 142, 43)


def pixel(x, y, size, light_background):
    """Colour (RGBA) of one pixel, drawn in a unit square so every size looks the same."""
    u, v = (x + 0.5) / size, (y + 0.5) / size
    corner = 0.18
    dx, dy = max(corner - u, 0, u - (1 - corner)), max(corner - v, 0, v - (1 - corner))
    if math.hypot(dx, dy) > corner:
        return (0, 0, 0, 0)  # outside the rounded square
    background = WHITE if light_background else BLUE
    ink = BLUE if light_background else WHITE
    distance = math.hypot(u - 0.38, v - 0.55)
    if 0.17 < distance < 0.27 and v < 0.55 + 0.02:
        return ink + (255,)  # the tunnel arch
    if v >= 0.55 and 0.17 < abs(u - 0.38) < 0.27 and v < 0.80:
        return ink + (255,)  # its walls
    if 0.40 < v < 0.50 and 0.45 < u < 0.78:
        return ORANGE + (255,)  # the arrow's shaft
    if u >= 0.70 and abs(v - 0.45) < (0.88 - u) * 0.9 and u < 0.88:
        return ORANGE + (255,)  # its head
    return background + (255,)


def png(size, light_background):
    rows = b"".join(b"\x00" + bytes(channel for x in range(size) for channel in pixel(x, y, size, light_background))
                    for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main():
    os.makedirs(STATIC, exist_ok=True)
    for name, size, light in (("appIcon.png", 36, False), ("appIcon_2x.png", 72, False),
                              ("appIconAlt.png", 36, True), ("appIconAlt_2x.png", 72, True),
                              ("ngrok_risk.png", 48, False)):
        with open(os.path.join(STATIC, name), "wb") as handle:
            handle.write(png(size, light))
        print("wrote", os.path.join("app", "appserver", "static", name))


if __name__ == "__main__":
    main()
