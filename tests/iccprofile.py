"""A minimal ICC v2 RGB profile (matrix + gamma), made in the test: an Adobe RGB (1998)-compatible space, to check
that non-sRGB inputs are converted (no profile file to download or ship)."""

import struct


def s15(x):
    return struct.pack(">i", round(x * 65536))


def xyz_tag(x, y, z):
    return b"XYZ " + b"\0" * 4 + s15(x) + s15(y) + s15(z)


def curv(gamma):
    return b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", round(gamma * 256)) + b"\0\0"


def desc(text):
    t = text.encode() + b"\0"
    return b"desc" + b"\0" * 4 + struct.pack(">I", len(t)) + t + b"\0" * 4 + b"\0" * 4 + b"\0" * 2 + b"\0" + b"\0" * 67


def text_tag(text):
    return b"text" + b"\0" * 4 + text.encode() + b"\0"


def rgb_profile(name, r, g, b, gamma, white=(0.9642, 1.0, 0.8249)):
    tags = [
        (b"desc", desc(name)),
        (b"cprt", text_tag("public domain")),
        (b"wtpt", xyz_tag(*white)),
        (b"rXYZ", xyz_tag(*r)),
        (b"gXYZ", xyz_tag(*g)),
        (b"bXYZ", xyz_tag(*b)),
        (b"rTRC", curv(gamma)),
        (b"gTRC", curv(gamma)),
        (b"bTRC", curv(gamma)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        while len(body) % 4:
            body += b"\0"
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntr" + b"RGB " + b"XYZ "
    header += b"\0" * 12 + b"acsp" + b"APPL" + b"\0" * 4 + b"\0" * 4 + b"\0" * 4 + b"\0" * 8 + struct.pack(">I", 0)
    header += s15(0.9642) + s15(1.0) + s15(0.8249) + b"lcms"
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


ADOBE = rgb_profile(
    "Adobe RGB (1998) compatible",
    (0.6097, 0.3111, 0.0195),
    (0.2053, 0.6257, 0.0609),
    (0.1492, 0.0632, 0.7446),
    563 / 256,
)
