"""Decompression bombs, made in milliseconds: gzip objects of a few MB that inflate to GiBs.

A deflate block that follows a full flush refers to nothing before it, so one compressed MiB of
a repeated byte can be written any number of times in a row: the stream inflates to that many
MiB. The gzip trailer's CRC is combined from the MiB's (zlib's crc32_combine), so the object is a
valid gzip a reader without a limit would inflate to the end.
"""

from __future__ import annotations

import struct

from zlib_ng import zlib_ng

MIB = 1 << 20
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no mtime


def gzip_bomb(mebibytes: int, *, head: bytes = b"", tail: bytes = b"", fill: bytes = b" ") -> bytes:
    """A gzip of `head`, `mebibytes` MiB of `fill` (one byte), then `tail`."""
    fills = fill * MIB
    parts, crc = [], zlib_ng.crc32(head)
    for text in (head, fills):  # each block ends with a full flush: it stands alone
        packer = zlib_ng.compressobj(9, zlib_ng.DEFLATED, -15)
        parts.append(packer.compress(text) + packer.flush(zlib_ng.Z_FULL_FLUSH))
    block_crc = zlib_ng.crc32(fills)
    for _ in range(mebibytes):
        crc = zlib_ng.crc32_combine(crc, block_crc, MIB)
    packer = zlib_ng.compressobj(9, zlib_ng.DEFLATED, -15)
    last = packer.compress(tail) + packer.flush(zlib_ng.Z_FINISH)
    crc = zlib_ng.crc32(tail, crc)
    size = len(head) + mebibytes * MIB + len(tail)
    trailer = struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)
    return b"".join([_HEADER, parts[0], parts[1] * mebibytes, last, trailer])


def whitespace_bomb(mebibytes: int, record: bytes) -> bytes:
    """A CloudTrail document holding `record` and then `mebibytes` MiB of whitespace (valid
    JSON: read to the end, it is one record)."""
    return gzip_bomb(mebibytes, head=b'{"Records":[' + record, tail=b"]}")


def long_string_bomb(mebibytes: int) -> bytes:
    """A CloudTrail document of one record whose `eventName` is `mebibytes` MiB long."""
    head = b'{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"'
    return gzip_bomb(mebibytes, head=head, tail=b'"}]}', fill=b"A")
