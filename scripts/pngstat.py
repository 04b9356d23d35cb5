#!/usr/bin/env python3
"""Tiny PNG reader (8-bit RGB/RGBA, non-interlaced) for render tests: prints
JSON stats of a screenshot so shell tests can assert it is not blank and
how it differs from another. No third-party packages."""
import json, struct, sys, zlib

def read(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if t == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and inter == 0, "unsupported PNG"
            bpp = 3 if ctype == 2 else 4
        elif t == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, bpp, rows

def stats(path, other=None):
    w, h, bpp, rows = read(path)
    lum = [sum(r[x * bpp:x * bpp + 3]) / 3 for r in rows for x in range(w)]
    mean = sum(lum) / len(lum)
    std = (sum((v - mean) ** 2 for v in lum) / len(lum)) ** 0.5
    # "Bright" pixels in the map area (below the toolbar, above the caption),
    # and the alarm-red ones among them (a card that broke pulses red).
    bright = red = 0
    for y in range(int(h * 0.18), int(h * 0.85)):
        r = rows[y]
        for x in range(w):
            px = r[x * bpp:x * bpp + 3]
            if max(px) - min(px) > 60 and max(px) > 120:
                bright += 1
                if px[0] > 180 and px[1] < 110 and px[2] < 110:
                    red += 1
    out = {"width": w, "height": h, "mean": round(mean, 2), "std": round(std, 2), "colored_pixels": bright,
           "red_pixels": red}
    if other:
        _, _, bpp2, rows2 = read(other)
        diff = sum(1 for a, b in zip(rows, rows2) for i in range(0, len(a), bpp) if a[i:i + 3] != b[i:i + 3])
        out["differing_pixels"] = diff
    return out

if __name__ == "__main__":
    print(json.dumps(stats(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)))
