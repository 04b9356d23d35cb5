#!/usr/bin/env python3
"""Draws the map's node icons and particle sprites (white on transparent,
tinted in the app) as anti-aliased PNGs from signed distance functions.
Original art for this project; rerun to regenerate assets/icons/*.png."""
import math, os, struct, zlib

SIZE = 128
OUT = os.path.join(os.path.dirname(__file__), "..", "assets", "icons")

def png(path, px, size):
    raw = b"".join(b"\x00" + bytes(px[y * size * 4:(y + 1) * size * 4]) for y in range(size))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)

def render(name, sdf, size=SIZE, outline=False):
    px = bytearray(size * size * 4)
    for y in range(size):
        for x in range(size):
            u = (x + 0.5) / size * 2 - 1
            v = 1 - (y + 0.5) / size * 2
            d = sdf(u, v)
            if outline:
                d = abs(d + 0.06) - 0.06
            a = max(0.0, min(1.0, 0.5 - d * size / 2))
            i = (y * size + x) * 4
            px[i:i + 4] = bytes((255, 255, 255, int(a * 255)))
    png(os.path.join(OUT, name + ".png"), px, size)

def circle(r):
    return lambda u, v: math.hypot(u, v) - r

def box(w, h, rad=0.0):
    def f(u, v):
        qx, qy = abs(u) - w + rad, abs(v) - h + rad
        return math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - rad
    return f

def polygon(n, r, rot=0.0):
    def f(u, v):
        a = math.atan2(v, u) - rot
        seg = 2 * math.pi / n
        a = (a % seg) - seg / 2
        d = math.hypot(u, v)
        return d * math.cos(a) - r * math.cos(seg / 2)
    return f

def union(*fs):
    return lambda u, v: min(f(u, v) for f in fs)

def subtract(a, b):
    return lambda u, v: max(a(u, v), -b(u, v))

def star(n, r1, r2):
    def f(u, v):
        a = math.atan2(v, u) + math.pi / 2
        seg = 2 * math.pi / n
        t = abs(((a % seg) / seg) * 2 - 1)
        r = r2 + (r1 - r2) * t
        return math.hypot(u, v) - r
    return f

def cylinder(u, v):
    body = box(0.62, 0.55)(u, v)
    top = math.hypot(u / 0.62, (v - 0.55) / 0.2) - 1
    bottom = math.hypot(u / 0.62, (v + 0.55) / 0.2) - 1
    return min(body, top * 0.2, bottom * 0.2)

def person(u, v):
    return min(circle(0.28)(u, v - 0.42), box(0.5, 0.32, 0.25)(u, v + 0.42))

def envelope(u, v):
    return box(0.8, 0.5, 0.08)(u, v)

def clock(u, v):
    ring = abs(math.hypot(u, v) - 0.7) - 0.1
    hand1 = box(0.06, 0.35)(u, v - 0.3)
    hand2 = box(0.3, 0.06)(u - 0.25, v)
    return min(ring, hand1, hand2)

def bolt(u, v):
    return polygon(3, 0.85, math.pi / 2)(u, v)

os.makedirs(OUT, exist_ok=True)
render("customer", person)
render("api", box(0.8, 0.6, 0.25))
render("aggregate", polygon(6, 0.82))
render("database", cylinder)
render("outbox", envelope)
render("exchange", polygon(4, 0.85))
render("projector", polygon(8, 0.82, math.pi / 8))
render("cache", bolt)
render("saga", star(5, 0.9, 0.45))
render("vendor", box(0.75, 0.75, 0.05))
render("timer", clock)
render("dot", circle(0.9), size=32)
render("ring", circle(0.85), size=64, outline=True)
print("icons written to", os.path.abspath(OUT))
