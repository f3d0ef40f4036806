#!/usr/bin/env python3
"""Draws the app icons (crates/web/static/icon-192.png, icon-512.png): a white speech bubble on
the practice green, as plain PNGs without any imaging library. Run again after changing it."""
import math
import struct
import zlib
from pathlib import Path

GREEN = (0x14, 0x6C, 0x2E)
WHITE = (0xFF, 0xFF, 0xFF)


def inside_bubble(x, y):
    # An ellipse for the balloon and a triangle for its tail, in a 0..1 square.
    if ((x - 0.5) / 0.34) ** 2 + ((y - 0.45) / 0.27) ** 2 <= 1:
        return True
    ax, ay, bx, by, cx, cy = 0.33, 0.62, 0.47, 0.68, 0.27, 0.82
    d = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
    l1 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) / d
    l2 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) / d
    return l1 >= 0 and l2 >= 0 and 1 - l1 - l2 >= 0


def pixel(x, y, size):
    # 4x4 supersampling for smooth edges; the whole square is green (maskable: safe zone).
    hits = 0
    for i in range(4):
        for j in range(4):
            if inside_bubble((x + (i + 0.5) / 4) / size, (y + (j + 0.5) / 4) / size):
                hits += 1
    a = hits / 16
    return tuple(round(g * (1 - a) + w * a) for g, w in zip(GREEN, WHITE))


def png(size):
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size)
    )

    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


out = Path(__file__).resolve().parent.parent / "crates" / "web" / "static"
for size in (192, 512):
    (out / f"icon-{size}.png").write_bytes(png(size))
    print(f"icon-{size}.png")
