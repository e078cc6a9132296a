"""PDFs the tests make themselves: a password-protected one and a damaged one.

PDFium (pypdfium2) cannot write encryption, so ``encrypted_pdf`` writes a small PDF by
hand and encrypts it with the PDF standard security handler, revision 2 (RC4, 40-bit
key: PDF 1.7 reference, algorithms 3.1-3.4). It is a real encrypted file: PDFium opens
it with the password, and the test checks the text it finds there.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

# The 32-byte padding string of the standard security handler.
PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + PAD)[:32]


def encrypted_pdf(path: Path, text: str = "SECRET", password: str = "secret") -> Path:
    """One page showing ``text`` in Helvetica, readable only with ``password``."""
    permissions = -4  # everything allowed (bits 1-2 must be 0)
    file_id = hashlib.md5(str(path).encode()).digest()
    owner = rc4(hashlib.md5(_padded("owner")).digest()[:5], _padded(password))
    key = hashlib.md5(
        _padded(password) + owner + struct.pack("<i", permissions) + file_id
    ).digest()[:5]
    user = rc4(key, PAD)
    content = f"BT /F1 36 Tf 30 40 Td ({text}) Tj ET".encode()
    stream_key = hashlib.md5(key + (5).to_bytes(3, "little") + (0).to_bytes(2, "little"))
    stream = rc4(stream_key.digest()[:10], content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 360 120] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (owner.hex().encode(), user.hex().encode(), permissions),
    ]
    trailer = b" /Encrypt 6 0 R /ID [<%s> <%s>]" % (file_id.hex().encode(), file_id.hex().encode())
    return _pdf(objects, path, trailer)


def broken_pdf(path: Path, source: Path) -> Path:
    """The first 300 bytes of a real PDF: a download cut short."""
    path.write_bytes(source.read_bytes()[:300])
    return path


def _pdf(objects: list[bytes], path: Path, trailer: bytes = b"") -> Path:
    """Write ``objects`` (numbered from 1; 1 is the catalog) as a PDF with its xref table;
    ``trailer`` adds entries to the trailer dictionary (an encryption dictionary, say)."""
    body = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    path.write_bytes(bytes(body))
    return path


def _stream(data: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        data, extra = zlib.compress(data, 9), extra + b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _bomb_pdf(path: Path, page: bytes, content: bytes, objects: list[bytes], after: str) -> Path:
    """Page 1: ``page`` resources and ``content`` (objects from number 7 on); page 2 shows
    ``after`` in Helvetica, to check that the page after a bomb is still read."""
    shown = b"BT /F1 36 Tf 72 650 Td (%s) Tj ET" % after.encode("latin-1")
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] %s /Contents 4 0 R >>" % page,
        _stream(content, compress=True),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 6 0 R >> >> /Contents 7 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(shown),
    ]
    return _pdf(head + objects, path)


def nested_forms_pdf(path: Path, depth: int = 8, fan: int = 16, after: str = "NEXT PAGE") -> Path:
    """Page 1 draws form X7, which draws X6 ``fan`` times, ... down to a filled triangle:
    a file of a few KB that asks for ``fan ** depth`` drawings (a render bomb)."""
    form = b" /Type /XObject /Subtype /Form /BBox [0 0 612 792]"
    first = 8  # object number of the innermost form
    forms = [_stream(b"0 0 m 612 792 l 0 792 l h f", form)]
    for level in range(1, depth):
        calls = b"".join(b"q 1 0 0 1 %d 0 cm /X Do Q\n" % (i % 3) for i in range(fan))
        resources = b" /Resources << /XObject << /X %d 0 R >> >>" % (first + level - 1)
        forms.append(_stream(calls, form + resources))
    page = b"/Resources << /XObject << /X %d 0 R >> >>" % (first + depth - 1)
    return _bomb_pdf(path, page, b"/X Do", forms, after)


def inflating_pdf(path: Path, megabytes: int = 400, after: str = "NEXT PAGE") -> Path:
    """Page 1's compressed content stream unpacks to ``megabytes`` MB of tiny paths: a
    file of well under 1 MB that PDFium turns into gigabytes of page objects."""
    unit = b"1 1 m 2 2 l S\n"
    return _bomb_pdf(path, b"", unit * (megabytes * 2**20 // len(unit)), [], after)
