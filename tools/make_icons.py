#!/usr/bin/env python3
"""Draws the map's art as anti-aliased white-on-transparent PNGs (alpha =
coverage; the app tints each sprite by multiplying it with a colour), from
signed distance functions, in plain Python (no third-party libraries).

Node icons, 128x128, one flat family (solid silhouettes with cut-out
details, one stroke weight wherever strokes are used), bold enough to read
at 26-32 px on screen:
  customer   a person bust (head + shoulders)
  api        a window with a title bar and "</>" cut out
  aggregate  three stacked layers (a stack of records)
  database   a cylinder with two curved bands cut out
  outbox     a tray with an arrow rising out of it
  exchange   a hub with three arrows fanning out to the right
  projector  a funnel over a table (a stream in, rows out)
  cache      a zig-zag lightning bolt
  saga       three steps (circles) chained by one stepped line
  vendor     an airplane seen from above, heading up-right
  timer      a stopwatch (ring, hand, crown and side button)

Particle sprites, drawn at 8-16 px: dot (32), ring (64), and 32x32
p_command (a right-pointing arrowhead; the app rotates it), p_event (a row),
p_envelope, p_duplicate (an envelope and its copy), p_apply (a check in a
disc), p_vendor (a diamond with a hole), p_query (a magnifying glass),
p_hit (a four-pointed sparkle), p_miss (a slashed ring).

UI textures for 9-slicing: card (64x64 rounded rectangle, radius 14 px),
card_edge (its 2 px outline) and chip (64x32 pill).

Original art for this project; rerun to regenerate assets/icons/*.png.
`--sheet` also writes a contact sheet (every sprite tinted, at full size and
shrunk to its on-screen size, on the app's dark background) to
/tmp/icons-sheet.png, for checking by eye."""
import math, os, struct, sys, zlib

SIZE = 128
OUT = os.path.join(os.path.dirname(__file__), "..", "assets", "icons")

# One stroke weight and one cut-out width for the whole node family, in the
# normalised units of an icon (the image spans -1..1): 0.16 is ~10 px of 128,
# ~2.3 px at 28 px on screen; a 0.12 cut is ~1.7 px there.
W = 0.16
G = 0.12

RENDERED = {}  # name -> (width, height, alpha bytes), for the contact sheet


def png(path, px, size, height=None):
    """Writes RGBA bytes `px` (rows top to bottom) as a PNG of size x height."""
    w, h = size, size if height is None else height
    raw = b"".join(b"\x00" + bytes(px[y * w * 4:(y + 1) * w * 4]) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)


def render(name, sdf, size=SIZE, outline=False, height=None, ss=1):
    """Renders white with alpha = coverage of sdf < 0. The shorter side of the
    image spans -1..1 (y up, origin at the centre); `ss` > 1 averages ss x ss
    samples per pixel, each anti-aliased by its own distance."""
    w, h = size, size if height is None else height
    half = min(w, h) / 2  # pixels per unit
    px = bytearray(w * h * 4)
    alpha = bytearray(w * h)
    offs = [(k + 0.5) / ss for k in range(ss)]
    for y in range(h):
        for x in range(w):
            acc = 0.0
            for oy in offs:
                v = (h / 2 - (y + oy)) / half
                for ox in offs:
                    u = (x + ox - w / 2) / half
                    d = sdf(u, v)
                    if outline:
                        d = abs(d + 0.06) - 0.06
                    acc += max(0.0, min(1.0, 0.5 - d * half * ss))
            a = int(acc / (ss * ss) * 255)
            i = (y * w + x) * 4
            px[i:i + 4] = bytes((255, 255, 255, a))
            alpha[y * w + x] = a
    png(os.path.join(OUT, name + ".png"), px, w, h)
    RENDERED[name] = (w, h, alpha)


# --- distance functions (negative inside) ----------------------------------

def circle(r, cx=0.0, cy=0.0):
    return lambda u, v: math.hypot(u - cx, v - cy) - r


def box(w, h, rad=0.0, cx=0.0, cy=0.0):
    def f(u, v):
        qx, qy = abs(u - cx) - w + rad, abs(v - cy) - h + rad
        return math.hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - rad
    return f


def poly(pts, rad=0.0):
    """Exact distance to a simple polygon given by its corners (any winding);
    `rad` grows it by that much, rounding its convex corners."""
    n = len(pts)
    def f(u, v):
        d = (u - pts[0][0]) ** 2 + (v - pts[0][1]) ** 2
        s = 1.0
        j = n - 1
        for i in range(n):
            xi, yi = pts[i]
            xj, yj = pts[j]
            ex, ey = xj - xi, yj - yi
            wx, wy = u - xi, v - yi
            t = max(0.0, min(1.0, (wx * ex + wy * ey) / (ex * ex + ey * ey)))
            bx, by = wx - ex * t, wy - ey * t
            d = min(d, bx * bx + by * by)
            c1, c2, c3 = v >= yi, v < yj, ex * wy > ey * wx
            if (c1 and c2 and c3) or not (c1 or c2 or c3):
                s = -s
            j = i
        return s * math.sqrt(d) - rad
    return f


def segment(ax, ay, bx, by, r):
    """A capsule: the segment a-b grown by r (round caps)."""
    ex, ey = bx - ax, by - ay
    ee = ex * ex + ey * ey
    def f(u, v):
        wx, wy = u - ax, v - ay
        t = max(0.0, min(1.0, (wx * ex + wy * ey) / ee))
        return math.hypot(wx - ex * t, wy - ey * t) - r
    return f


def stroke(pts, width):
    """A polyline of the given width with round caps and joins."""
    return union(*(segment(*pts[i], *pts[i + 1], width / 2) for i in range(len(pts) - 1)))


def ring(r, width, cx=0.0, cy=0.0):
    return lambda u, v: abs(math.hypot(u - cx, v - cy) - r) - width / 2


def ellipse_dist(px, py, a, b):
    """Signed distance to the ellipse x^2/a^2 + y^2/b^2 = 1 (a few iterations
    of the trig-free closest-point refinement)."""
    px, py = abs(px), abs(py)
    tx = ty = 0.70710678
    for _ in range(4):
        x, y = a * tx, b * ty
        ex = (a * a - b * b) * tx ** 3 / a
        ey = (b * b - a * a) * ty ** 3 / b
        rx, ry = x - ex, y - ey
        qx, qy = px - ex, py - ey
        r, q = math.hypot(rx, ry), math.hypot(qx, qy)
        if q < 1e-9:
            break
        tx = max(0.0, min(1.0, (qx * r / q + ex) / a))
        ty = max(0.0, min(1.0, (qy * r / q + ey) / b))
        t = math.hypot(tx, ty)
        tx, ty = tx / t, ty / t
    d = math.hypot(px - a * tx, py - b * ty)
    return -d if (px / a) ** 2 + (py / b) ** 2 < 1 else d


def ellipse(a, b, cx=0.0, cy=0.0):
    return lambda u, v: ellipse_dist(u - cx, v - cy, a, b)


def lower_arc(a, b, width, cx=0.0, cy=0.0):
    """A band of the given width along the lower half of an ellipse."""
    def f(u, v):
        x, y = u - cx, v - cy
        d = abs(ellipse_dist(x, y, a, b)) if y <= 0 else math.hypot(abs(x) - a, y)
        return d - width / 2
    return f


def union(*fs):
    return lambda u, v: min(f(u, v) for f in fs)


def subtract(a, *bs):
    return lambda u, v: max(a(u, v), *(-b(u, v) for b in bs))


def intersect(*fs):
    return lambda u, v: max(f(u, v) for f in fs)


def grow(f, r):
    return lambda u, v: f(u, v) - r


def move(f, dx, dy):
    return lambda u, v: f(u - dx, v - dy)


def rotate(f, deg):
    """Rotates a shape counter-clockwise by deg degrees."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return lambda u, v: f(c * u + s * v, -s * u + c * v)


def above(y):
    return lambda u, v: y - v


def arrow_head(tip_x, tip_y, dx, dy, size, width):
    """An open chevron (two strokes) whose point is at tip, pointing along (dx, dy)."""
    l = math.hypot(dx, dy)
    dx, dy = dx / l, dy / l
    bx, by = tip_x - dx * size, tip_y - dy * size
    nx, ny = -dy * size, dx * size
    return stroke([(bx + nx, by + ny), (tip_x, tip_y), (bx - nx, by - ny)], width)


# --- node icons --------------------------------------------------------------

def person():
    head = circle(0.33, 0, 0.43)
    shoulders = intersect(box(0.70, 0.48, 0.42, 0, -0.50), above(-0.84))
    return union(head, shoulders)


def api():
    window = box(0.88, 0.76, 0.18)
    bar = box(2.0, G / 2, 0, 0, 0.42)
    cy = -0.18
    left = stroke([(-0.28, cy + 0.30), (-0.60, cy), (-0.28, cy - 0.30)], 0.14)
    right = stroke([(0.28, cy + 0.30), (0.60, cy), (0.28, cy - 0.30)], 0.14)
    slash = stroke([(0.10, cy + 0.34), (-0.10, cy - 0.34)], 0.14)
    return subtract(window, bar, left, right, slash)


def layers():
    hw, hh, dy, top = 0.86, 0.44, 0.36, 0.36
    def sheet(k):
        c = top - k * dy
        return poly([(-hw + 0.06, c), (0, c + hh - 0.03), (hw - 0.06, c), (0, c - hh + 0.03)], 0.04)
    s0, s1, s2 = sheet(0), sheet(1), sheet(2)
    return union(s0, subtract(s1, grow(s0, G)), subtract(s2, grow(s1, G)))


def database():
    a, b, top, bottom = 0.74, 0.22, 0.60, -0.60
    body = union(box(a, (top - bottom) / 2, 0, 0, (top + bottom) / 2), ellipse(a, b, 0, top), ellipse(a, b, 0, bottom))
    return subtract(body, lower_arc(a, b, G, 0, top - 0.15), lower_arc(a, b, G, 0, top - 0.15 - 0.44))


def outbox():
    tray = stroke([(-0.80, -0.02), (-0.80, -0.80), (0.80, -0.80), (0.80, -0.02)], W)
    shaft = segment(0, -0.42, 0, 0.78, W / 2)
    head = arrow_head(0, 0.80, 0, 1, 0.40, W)
    return union(tray, shaft, head)


def exchange():
    hx, tip, fan, head = -0.50, 0.84, 0.55, 0.24
    hub = circle(0.32, hx, 0)
    mid = stroke([(hx, 0), (tip - 0.02, 0)], W)
    up = stroke([(hx, 0), (0.04, fan), (tip - 0.02, fan)], W)
    down = stroke([(hx, 0), (0.04, -fan), (tip - 0.02, -fan)], W)
    heads = [arrow_head(tip, y, 1, 0, head, W) for y in (fan, 0, -fan)]
    return union(hub, mid, up, down, *heads)


def projector():
    funnel = poly([(-0.84, 0.84), (0.84, 0.84), (0.18, 0.28), (0.18, 0.04), (-0.18, 0.04), (-0.18, 0.28)], 0.04)
    table = box(0.84, 0.37, 0.12, 0, -0.47)
    grid = union(box(2, G / 2, 0, 0, -0.47), box(G / 2, 2, 0, -0.28, 0), box(G / 2, 2, 0, 0.28, 0))
    return union(funnel, subtract(table, grid))


def bolt():
    pts = [(13, 2), (3, 14), (12, 14), (11, 22), (21, 10), (12, 10)]
    return poly([((x - 12) / 10 * 0.86, -(y - 12) / 10 * 0.86) for x, y in pts], 0.03)


def saga():
    a, b, c = (-0.62, -0.60), (0.0, 0.0), (0.62, 0.60)
    line = stroke([a, (a[0], b[1]), b, (b[0], c[1]), c], W)
    return union(line, *(circle(0.26, x, y) for x, y in (a, b, c)))


def plane():
    body = segment(0, -0.78, 0, 0.80, 0.13)
    wings = poly([(-0.10, 0.30), (-0.92, -0.14), (-0.92, -0.30), (-0.10, -0.14),
                  (0.10, -0.14), (0.92, -0.30), (0.92, -0.14), (0.10, 0.30)], 0.03)
    tail = poly([(-0.08, -0.46), (-0.38, -0.72), (-0.38, -0.84), (-0.08, -0.78),
                 (0.08, -0.78), (0.38, -0.84), (0.38, -0.72), (0.08, -0.46)], 0.03)
    return move(rotate(union(body, wings, tail), -45), 0.07, 0.07)


def stopwatch():
    cy = -0.12
    r = 0.62
    face = ring(r, W, 0, cy)
    crown = union(box(0.07, 0.12, 0, 0, cy + r + 0.12), box(0.22, 0.08, 0.05, 0, 0.82))
    a = math.radians(45)
    side = segment(math.cos(a) * (r + 0.10), cy + math.sin(a) * (r + 0.10),
                   math.cos(a) * (r + 0.20), cy + math.sin(a) * (r + 0.20), 0.08)
    hand = segment(0, cy, 0.24, cy + 0.30, W / 2)
    hub = circle(0.13, 0, cy)
    return union(face, crown, side, hand, hub)


# --- particle sprites (32 x 32) ---------------------------------------------

def command():
    return poly([(0.84, 0), (-0.70, 0.76), (-0.30, 0), (-0.70, -0.76)], 0.06)


def event_row():
    return subtract(box(0.9, 0.55, 0.18), segment(-0.58, 0, 0.58, 0, 0.08))


def envelope_at(cx, cy, k):
    body = box(0.86 * k, 0.62 * k, 0.12 * k, cx, cy)
    flap = stroke([(cx - 0.86 * k, cy + 0.62 * k), (cx, cy - 0.04 * k), (cx + 0.86 * k, cy + 0.62 * k)], 0.20 * k)
    return body, subtract(body, flap)


def envelope():
    return envelope_at(0, 0, 1)[1]


def duplicate():
    back = box(0.64, 0.46, 0.10, 0.26, 0.26)
    front_body, front = envelope_at(-0.16, -0.16, 0.76)
    return union(subtract(back, grow(front_body, 0.16)), front)


def apply_check():
    return subtract(circle(0.92), stroke([(-0.46, 0.02), (-0.14, -0.30), (0.46, 0.30)], 0.22))


def diamond():
    return subtract(poly([(0, 0.90), (0.90, 0), (0, -0.90), (-0.90, 0)], 0.02), circle(0.22))


def magnifier():
    return union(ring(0.44, 0.24, -0.20, 0.20), segment(0.16, -0.16, 0.70, -0.70, 0.16))


def sparkle():
    pts = []
    for i in range(96):
        t = 2 * math.pi * i / 96
        c, s = math.cos(t), math.sin(t)
        pts.append((0.9 * math.copysign(abs(c) ** 2.6, c), 0.9 * math.copysign(abs(s) ** 2.6, s)))
    return poly(pts, 0.02)


def miss():
    d = 0.70 / math.sqrt(2)
    return union(ring(0.70, 0.22), segment(-d, d, d, -d, 0.11))


# --- contact sheet (for checking by eye; not part of the assets) ------------

NODE_TINT = {
    "customer": (0.95, 0.95, 0.95), "api": (0.98, 0.62, 0.28), "aggregate": (0.98, 0.62, 0.28),
    "database": (0.95, 0.45, 0.35), "outbox": (0.95, 0.45, 0.35), "exchange": (0.98, 0.82, 0.30),
    "projector": (0.45, 0.80, 0.55), "cache": (0.40, 0.70, 0.98), "saga": (0.78, 0.58, 0.98),
    "vendor": (0.78, 0.58, 0.98), "timer": (0.75, 0.75, 0.75),
}
PART_TINT = {
    "dot": (0.98, 0.62, 0.28), "ring": (0.98, 0.85, 0.30), "p_command": (0.98, 0.62, 0.28),
    "p_event": (0.98, 0.45, 0.35), "p_envelope": (0.98, 0.85, 0.30), "p_duplicate": (0.95, 0.40, 0.95),
    "p_apply": (0.45, 0.90, 0.55), "p_vendor": (0.78, 0.58, 0.98), "p_query": (0.60, 0.80, 1.0),
    "p_hit": (0.35, 0.90, 0.95), "p_miss": (0.30, 0.50, 0.98),
}
EXTRA_TINTS = [(1.0, 1.0, 1.0), (0.40, 0.70, 0.98), (0.98, 0.82, 0.30)]
BG = (0x12, 0x14, 0x1c)


def shrink_box(img, nw, nh):
    """Area-averaging resize of an alpha image (what a mipmapped or carefully
    filtered draw shows)."""
    w, h, a = img
    def weights(n_src, n_dst):
        out = []
        k = n_src / n_dst
        for i in range(n_dst):
            lo, hi = i * k, (i + 1) * k
            row = []
            for s in range(int(lo), min(n_src, int(math.ceil(hi)))):
                ov = min(hi, s + 1) - max(lo, s)
                if ov > 0:
                    row.append((s, ov / k))
            out.append(row)
        return out
    wx, wy = weights(w, nw), weights(h, nh)
    res = bytearray(nw * nh)
    for y in range(nh):
        for x in range(nw):
            acc = 0.0
            for sy, fy in wy[y]:
                base = sy * w
                for sx, fx in wx[x]:
                    acc += a[base + sx] * fx * fy
            res[y * nw + x] = min(255, int(acc + 0.5))
    return (nw, nh, res)


def shrink_bilinear(img, nw, nh):
    """One bilinear tap per screen pixel, no mipmaps (a GPU's default linear
    sampler on a texture without mip levels): the worst case."""
    w, h, a = img
    res = bytearray(nw * nh)
    for y in range(nh):
        sy = (y + 0.5) * h / nh - 0.5
        y0 = max(0, min(h - 1, int(math.floor(sy))))
        y1 = min(h - 1, y0 + 1)
        fy = sy - math.floor(sy)
        for x in range(nw):
            sx = (x + 0.5) * w / nw - 0.5
            x0 = max(0, min(w - 1, int(math.floor(sx))))
            x1 = min(w - 1, x0 + 1)
            fx = sx - math.floor(sx)
            top = a[y0 * w + x0] * (1 - fx) + a[y0 * w + x1] * fx
            bot = a[y1 * w + x0] * (1 - fx) + a[y1 * w + x1] * fx
            res[y * nw + x] = int(top * (1 - fy) + bot * fy + 0.5)
    return (nw, nh, res)


def magnify(img, k):
    w, h, a = img
    res = bytearray(w * k * h * k)
    for y in range(h * k):
        row = a[(y // k) * w:(y // k + 1) * w]
        res[y * w * k:(y + 1) * w * k] = bytes(b for b in row for _ in range(k))
    return (w * k, h * k, res)


def nine_slice(img, border, nw, nh):
    """Stretches a 9-slice sprite (nearest within each slice) to nw x nh."""
    w, h, a = img
    def src(i, n, size):
        if i < border:
            return i
        if i >= n - border:
            return size - (n - i)
        return border + (i - border) * (size - 2 * border) // (n - 2 * border)
    res = bytearray(nw * nh)
    for y in range(nh):
        sy = src(y, nh, h)
        for x in range(nw):
            res[y * nw + x] = a[sy * w + src(x, nw, w)]
    return (nw, nh, res)


class Sheet:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(bytes((*BG, 255)) * (w * h))

    def put(self, img, x0, y0, tint):
        w, h, a = img
        for y in range(h):
            if not 0 <= y0 + y < self.h:
                continue
            for x in range(w):
                al = a[y * w + x] / 255
                if al == 0 or not 0 <= x0 + x < self.w:
                    continue
                i = ((y0 + y) * self.w + x0 + x) * 4
                for c in range(3):
                    self.px[i + c] = int(self.px[i + c] * (1 - al) + 255 * tint[c] * al + 0.5)

    def save(self, path):
        png(path, self.px, self.w, self.h)


def contact_sheet(path):
    nodes = list(NODE_TINT)
    parts = list(PART_TINT)
    cell = 140
    sheet = Sheet(cell * len(nodes) + 20, 940)
    y = 10
    for i, n in enumerate(nodes):  # full size, in the app's tint
        sheet.put(RENDERED[n], 10 + i * cell, y, NODE_TINT[n])
    y += 140
    for i, n in enumerate(nodes):  # on-screen sizes, area-filtered, three tints + app tint
        x = 10 + i * cell
        for j, s in enumerate((24, 28, 32)):
            sheet.put(shrink_box(RENDERED[n], s, s), x + j * 38, y, NODE_TINT[n])
        for j, t in enumerate(EXTRA_TINTS):
            sheet.put(shrink_box(RENDERED[n], 28, 28), x + j * 38, y + 40, t)
    y += 84
    for i, n in enumerate(nodes):  # 28 px area-filtered, magnified 4x to inspect
        sheet.put(magnify(shrink_box(RENDERED[n], 28, 28), 4), 10 + i * cell, y, NODE_TINT[n])
    y += 120
    for i, n in enumerate(nodes):  # 28 px, one bilinear tap without mipmaps, magnified 4x
        sheet.put(magnify(shrink_bilinear(RENDERED[n], 28, 28), 4), 10 + i * cell, y, NODE_TINT[n])
    y += 130
    for i, n in enumerate(parts):  # particles: full size magnified 3x
        img = RENDERED[n]
        k = 3 if img[0] <= 32 else 1
        sheet.put(magnify(img, k) if k > 1 else img, 10 + i * cell, y, PART_TINT[n])
    y += 110
    for i, n in enumerate(parts):  # particles at 8, 12 and 16 px, then 12 px magnified 6x
        x = 10 + i * cell
        for j, s in enumerate((8, 12, 16)):
            sheet.put(shrink_box(RENDERED[n], s, s), x + j * 24, y, PART_TINT[n])
        for j, t in enumerate(EXTRA_TINTS):
            sheet.put(shrink_box(RENDERED[n], 12, 12), x + j * 24, y + 20, t)
        sheet.put(magnify(shrink_box(RENDERED[n], 12, 12), 6), x, y + 40, PART_TINT[n])
    y += 130
    ui = (0.22, 0.25, 0.34)
    x = 10
    for n in ("card", "card_edge", "chip"):  # UI textures at 2x, then 9-sliced
        sheet.put(magnify(RENDERED[n], 2), x, y, (0.8, 0.8, 0.85))
        x += RENDERED[n][0] * 2 + 20
    sheet.put(nine_slice(RENDERED["card"], 16, 260, 120), x, y, ui)
    sheet.put(nine_slice(RENDERED["card_edge"], 16, 260, 120), x, y, (0.5, 0.55, 0.7))
    sheet.put(nine_slice(RENDERED["chip"], 16, 120, 32), x + 280, y, (0.98, 0.62, 0.28))
    sheet.put(nine_slice(RENDERED["chip"], 16, 48, 32), x + 280, y + 50, (0.45, 0.80, 0.55))
    sheet.put(nine_slice(RENDERED["card"], 16, 40, 200), x + 420, y, ui)
    sheet.save(path)
    print("contact sheet written to", path)


os.makedirs(OUT, exist_ok=True)
NODE_SS = 4
# Node icons are drawn at 22–33 px on screen: a 64 px texture keeps the
# minification (no mipmaps) gentle.
NODE_SIZE = 64
render("customer", person(), size=NODE_SIZE, ss=NODE_SS)
render("api", api(), size=NODE_SIZE, ss=NODE_SS)
render("aggregate", layers(), size=NODE_SIZE, ss=NODE_SS)
render("database", database(), size=NODE_SIZE, ss=NODE_SS)
render("outbox", outbox(), size=NODE_SIZE, ss=NODE_SS)
render("exchange", exchange(), size=NODE_SIZE, ss=NODE_SS)
render("projector", projector(), size=NODE_SIZE, ss=NODE_SS)
render("cache", bolt(), size=NODE_SIZE, ss=NODE_SS)
render("saga", saga(), size=NODE_SIZE, ss=NODE_SS)
render("vendor", plane(), size=NODE_SIZE, ss=NODE_SS)
render("timer", stopwatch(), size=NODE_SIZE, ss=NODE_SS)
render("dot", circle(0.9), size=32)
render("ring", circle(0.85), size=64, outline=True)
render("p_command", command(), size=32, ss=4)
render("p_event", event_row(), size=32, ss=4)
render("p_envelope", envelope(), size=32, ss=4)
render("p_duplicate", duplicate(), size=32, ss=4)
render("p_apply", apply_check(), size=32, ss=4)
render("p_vendor", diamond(), size=32, ss=4)
render("p_query", magnifier(), size=32, ss=4)
render("p_hit", sparkle(), size=32, ss=4)
render("p_miss", miss(), size=32, ss=4)
# 9-slice textures: the rounded rectangle fills the image edge to edge, so
# its straight edges are fully opaque pixels and its corners are exact.
render("card", box(1.0, 1.0, 14 / 32), size=64)
render("card_edge", lambda u, v: abs(box(1.0, 1.0, 14 / 32)(u, v) + 1 / 32) - 1 / 32, size=64)
render("chip", box(2.0, 1.0, 1.0), size=64, height=32)
print("icons written to", os.path.abspath(OUT))
if "--sheet" in sys.argv[1:]:
    contact_sheet("/tmp/icons-sheet.png")
