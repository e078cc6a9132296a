"""The PDF page renderer's child process: PDFium within a memory and CPU-time budget.

Run by ``ovocr.pdf.PageRenderer`` as a script (``python -I pdf_worker.py PDF BYTES``),
never imported: it needs only the standard library and pypdfium2, so the process stays
small, and a page that asks PDFium for too much (a render bomb: forms nested thousands
deep, a stream that unpacks to gigabytes) ends this process, not the caller's.

Protocol, one JSON line each way: the first line on stdin is ``{"password"}``; the answer
is ``{"pages": n}`` or ``{"error": message}``. Each further line ``{"page", "scale",
"seconds"}`` renders one page (1-based) and is answered by ``{"width", "height",
"stride", "channels"}`` followed by ``height * stride`` bytes of pixels (RGB order), or
by ``{"error": message}``. Past ``BYTES`` of address space PDFium aborts; past
``seconds`` of CPU time the kernel ends the process (SIGXCPU). Ctrl-C is left to the
parent, which ends this process.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import sys
from typing import Any, BinaryIO


def _reply(out: BinaryIO, message: dict[str, Any], data: Any = None) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    if data is not None:
        out.write(memoryview(data).cast("B"))
    out.flush()


def _limit_cpu(seconds: float) -> None:
    """Let this process use ``seconds`` more CPU time from now (SIGXCPU ends it after)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    path, memory = os.fsencode(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (memory, resource.getrlimit(resource.RLIMIT_AS)[1]))
    import pypdfium2 as pdfium

    requests, out = sys.stdin.buffer, sys.stdout.buffer
    hello = json.loads(requests.readline() or b"{}")
    try:
        doc = pdfium.PdfDocument(os.fsdecode(path), password=hello.get("password"))
    except pdfium.PdfiumError as exc:
        _reply(out, {"error": f"cannot open PDF ({exc})"})
        return
    _reply(out, {"pages": len(doc)})
    for line in requests:
        request = json.loads(line)
        _limit_cpu(float(request["seconds"]))
        try:
            page = doc[int(request["page"]) - 1]
            try:
                bitmap = page.render(scale=float(request["scale"]), rev_byteorder=True)
                header = {
                    "width": bitmap.width,
                    "height": bitmap.height,
                    "stride": bitmap.stride,
                    "channels": bitmap.n_channels,
                }
                _reply(out, header, bitmap.buffer)
                bitmap.close()
            finally:
                page.close()
        except (pdfium.PdfiumError, ValueError, MemoryError) as exc:
            _reply(out, {"error": f"cannot render ({exc})"})


if __name__ == "__main__":
    main()
