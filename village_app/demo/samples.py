"""Fictional people and small valid files for the demo, all from a seeded random source."""

from __future__ import annotations

import struct
import zlib
from random import Random

# Common surnames and given-name characters; combined at random they name nobody in particular.
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
_GIVEN = "建国秀英志强丽华明军海燕玉兰春梅桂芳德福永红长生金凤晓东文华成林淑珍国平振华秋菊卫东利民小梅立新家豪俊杰雪莲红霞少华德明瑞芳宏伟学军翠花忠良美玲"


def person_names(rng: Random, count: int) -> list[str]:
    """``count`` distinct two- or three-character names."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        length = 2 if rng.random() < 0.3 else 3
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(length - 1))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def phone(rng: Random) -> str:
    """An 11-digit number starting 100: no mobile network uses that prefix, so it rings nobody."""
    return "1000000" + f"{rng.randrange(10_000):04d}"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def signed_sheet_png(rng: Random, width: int = 96, height: int = 64) -> bytes:
    """A small grayscale PNG: ruled lines with scribbles, standing in for a photo of a signed sheet."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            ink = y % 12 == 11 or (
                y % 12 in (4, 5, 6) and 8 < x < width - 8 and rng.random() < 0.35
            )
            row.append(40 if ink else 245)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def minutes_pdf(title: str) -> bytes:
    """A one-page PDF with an ASCII line of text (no fonts to embed), with a correct xref table."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
