#!/usr/bin/env python3
"""Draws the Directory Sync icon (a person inside two sync arrows on a blue rounded square)
and writes the PNG sizes Tauri bundles plus icon.ico. Standard library only, so any machine
can regenerate the icons: `python3 icons/generate.py`."""

import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SS = 4  # supersamples per axis: smooth edges without an imaging library

TOP = (59, 130, 246)  # background gradient, top
BOTTOM = (29, 78, 216)  # background gradient, bottom


def rounded_rect(x, y, margin=0.04, radius=0.22):
    lo, hi = margin + radius, 1 - margin - radius
    dx = max(lo - x, 0, x - hi)
    dy = max(lo - y, 0, y - hi)
    return dx * dx + dy * dy <= radius * radius and margin <= x <= 1 - margin and margin <= y <= 1 - margin


def in_triangle(px, py, a, b, c):
    def side(p1, p2):
        return (px - p2[0]) * (p1[1] - p2[1]) - (p1[0] - p2[0]) * (py - p2[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    neg = d1 < 0 or d2 < 0 or d3 < 0
    pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (neg and pos)


CX, CY, R, THICK = 0.5, 0.5, 0.29, 0.07
ARCS = [(35.0, 160.0), (215.0, 340.0)]  # degrees, counter-clockwise, y up


def arrowheads():
    heads = []
    for _, end in ARCS:
        t = math.radians(end)
        px, py = CX + R * math.cos(t), CY + R * math.sin(t)
        nx, ny = math.cos(t), math.sin(t)
        tx, ty = -math.sin(t), math.cos(t)
        w, h = 0.085, 0.10
        heads.append(((px + nx * w, py + ny * w), (px - nx * w, py - ny * w), (px + tx * h, py + ty * h)))
    return heads


HEADS = arrowheads()


def foreground(x, y):
    # y grows upwards here so the angles read naturally
    dx, dy = x - CX, y - CY
    d = math.hypot(dx, dy)
    if abs(d - R) <= THICK / 2:
        ang = math.degrees(math.atan2(dy, dx)) % 360
        if any(a <= ang <= b for a, b in ARCS):
            return True
    if any(in_triangle(x, y, *h) for h in HEADS):
        return True
    # the person: a head and rounded shoulders
    if math.hypot(x - 0.5, y - 0.555) <= 0.062:
        return True
    sx, sy = (x - 0.5) / 0.118, (y - 0.395) / 0.085
    if y >= 0.395 - 0.0 and sx * sx + sy * sy <= 1 and y >= 0.40:
        return True
    return False


def render(size):
    rows = []
    for j in range(size):
        row = bytearray([0])  # PNG filter: none
        for i in range(size):
            bg = fg = 0
            for sj in range(SS):
                for si in range(SS):
                    x = (i + (si + 0.5) / SS) / size
                    y_down = (j + (sj + 0.5) / SS) / size
                    if rounded_rect(x, y_down):
                        bg += 1
                        if foreground(x, 1 - y_down):
                            fg += 1
            n = SS * SS
            t = (j + 0.5) / size
            base = [TOP[k] + (BOTTOM[k] - TOP[k]) * t for k in range(3)]
            if bg == 0:
                row += bytes(4)
                continue
            f = fg / bg
            rgb = [round(base[k] * (1 - f) + 255 * f) for k in range(3)]
            row += bytes(rgb + [round(255 * bg / n)])
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size, raw):
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(images):
    """An ICO whose entries are PNGs (supported since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return header + entries + blobs


def main():
    cache = {}

    def get(size):
        if size not in cache:
            cache[size] = render(size)
        return cache[size]

    outputs = {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
    for name, size in outputs.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(get(size))
    with open(os.path.join(HERE, "icon.ico"), "wb") as f:
        f.write(ico([(s, get(s)) for s in (16, 32, 48, 256)]))


if __name__ == "__main__":
    main()
