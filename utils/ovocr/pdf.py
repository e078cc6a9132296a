"""PDF documents as page images, rendered one page at a time with pypdfium2.

Explained in 11-ocr-at-scale. ``load_pdf_pages`` opens a PDF with PDFium (a PyPI wheel,
no system library), renders each page to an RGB array at ``dpi`` and yields it before
the next page is rendered, so memory stays flat on a 500-page file. A missing, broken,
encrypted or empty PDF raises one ``ImageError`` naming the file and the problem.

Pages are rendered in a child process (``ovocr.pdf_worker``, on Linux and macOS) with a
budget per page: ``PAGE_MEMORY`` bytes of address space and ``PAGE_SECONDS`` of CPU and
wall time. A page past either (a render bomb: a 2 KB file of nested forms, a stream that
unpacks to gigabytes) is one ``ImageError`` and the next page goes on; Ctrl-C and SIGTERM
stop a render at once.

The detector sees every page 960 pixels wide whatever the DPI; the DPI decides how many
pixels the recogniser gets for each line of text. ``DEFAULT_DPI`` was chosen by
measurement (``benchmarks/scale.py --dpi-sweep``, Helvetica and Times pages): 10-point
text is read without error from 72 DPI up, but 6-point small print needs more: page CER
5% (Helvetica) and 22% (Times) at 72 DPI, 1.7% and 0.4% at 100, 0.4% at 150, and no
better at 200 or 300 (0.3-0.5%), while rendering a letter page takes 29 ms at 150 DPI,
53 ms at 200 and 102 ms at 300, and a 300-DPI page is 4 times the memory.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "memo.pdf"
    >>> render_text_pdf(path, [["Quarterly report"], ["Page two"]]).name
    'memo.pdf'
    >>> [page.shape for page in load_pdf_pages(path, dpi=72)]
    [(792, 612, 3), (792, 612, 3)]
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ImageError
from .images import MAX_SIDE

DEFAULT_DPI = 150
# Budget of one page: the renderer's address space (an 8192 x 8192 page is 268 MB of
# pixels; legitimate pages stay far below) and its CPU and wall time.
PAGE_MEMORY = 2**30
PAGE_SECONDS = 30.0
POINTS_PER_INCH = 72.0
LETTER = (612.0, 792.0)  # US letter in PDF points (1/72 inch)
# Why PDFium could not open a file (its FPDF_ERR_* codes), said as a fix.
_OPEN_ERRORS = {
    0: "PDF has no pages",  # PDFium refuses an empty page tree without an error code
    2: "cannot read the file",
    3: "not a valid PDF (damaged or truncated file?)",
    4: "encrypted PDF: it needs a password; save an unprotected copy first",
    5: "PDF uses an unsupported security handler; save an unprotected copy first",
    6: "PDF page tree is damaged",
}


def is_pdf(path: str | os.PathLike) -> bool:
    """True when ``path`` is named ``*.pdf`` (any case): how ``ovocr predict`` and
    ``ovocr.scale`` pick the PDF reader. A PDF under another name goes to the image
    reader, whose error says it is a PDF."""
    return Path(path).suffix.lower() == ".pdf"


def open_pdf(path: str | os.PathLike, password: str | None = None) -> Any:
    """Open a PDF with PDFium; return the ``pypdfium2.PdfDocument`` (close it when done).

    Raises:
        ImageError: the file is missing, empty, not a PDF, encrypted or has no pages.
    """
    import pypdfium2 as pdfium

    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not a PDF")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)")
    try:
        doc = pdfium.PdfDocument(path, password=password)
    except pdfium.PdfiumError as exc:
        code = _failure_code(path, password)
        problem = _OPEN_ERRORS.get(code, f"cannot open PDF ({exc})")
        raise ImageError(f"{path}: {problem}") from None
    if len(doc) == 0:
        doc.close()
        raise ImageError(f"{path}: PDF has no pages")
    return doc


def _failure_code(path: Path, password: str | None) -> int:
    """PDFium's error code for a file that failed to open (0: PDFium reported none).

    ``FPDF_GetLastError`` keeps the code of an earlier failure when a load fails without
    setting one (an empty page tree), so the load is repeated after two known failures
    with different codes: a code that differs from the one just set is this file's own.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    garbage = ctypes.create_string_buffer(b"not a PDF")
    primers = [
        (lambda: pdfium_c.FPDF_LoadDocument(b"/nonexistent/ovocr-probe.pdf", None), 2),
        (lambda: pdfium_c.FPDF_LoadMemDocument(garbage, len(garbage.raw), None), 3),
    ]
    for prime, primed in primers:
        prime()
        try:
            pdfium.PdfDocument(path, password=password).close()
        except pdfium.PdfiumError as exc:
            if exc.err_code != primed:
                return exc.err_code or 0
        else:  # opened this time (the file changed meanwhile): say so plainly
            return 1
    return 0


def pdf_page_count(path: str | os.PathLike, password: str | None = None) -> int:
    """Number of pages of a PDF (reads the page tree, renders nothing)."""
    doc = open_pdf(path, password)
    try:
        return len(doc)
    finally:
        doc.close()


def render_scale(width_pt: float, height_pt: float, dpi: float) -> float:
    """Pixels per PDF point for ``dpi``, lowered so the longer side stays within ``MAX_SIDE``
    (a poster at 150 DPI would otherwise be a 400-megapixel image)."""
    # A hair under dpi/72: PDFium's size is ceil(points * scale), and 792 * (150 / 72) is
    # 1650.0000000000002 in floating point, one pixel row too many.
    scale = dpi / POINTS_PER_INCH * (1 - 1e-9)
    return min(scale, MAX_SIDE / max(width_pt, height_pt, 1.0))


def load_pdf_pages(
    path: str | os.PathLike,
    dpi: float = DEFAULT_DPI,
    pages: Iterable[int] | None = None,
    password: str | None = None,
) -> Iterator[np.ndarray]:
    """Render the pages of a PDF one at a time; yield each as an RGB ``uint8`` array.

    Only one page is in memory at a time: the next one is rendered when the caller asks
    for it. Pages are rendered on a white background, with annotations and form fields.

    Args:
        path: the PDF file.
        dpi: rendering resolution (pixels per inch); 72 gives one pixel per PDF point.
        pages: 1-based page numbers to render (as in ``ovocr predict``'s ``"page"``);
            ``None`` means all pages in order.
        password: the password of an encrypted PDF.

    Raises:
        ImageError: the file cannot be opened (see ``open_pdf``), a page number is out of
            range, or a page cannot be rendered. Pages yielded before stay valid.
    """
    if not dpi > 0:
        raise ValueError(f"dpi must be positive, got {dpi}")
    with PageRenderer(path, password) as renderer:
        count = renderer.page_count
        for number in range(1, count + 1) if pages is None else pages:
            if not 1 <= number <= count:
                raise ImageError(f"{path}: no page {number} (the PDF has {count})")
            yield renderer.render(number, dpi)


def render_page(doc: Any, path: str | os.PathLike, number: int, dpi: float) -> np.ndarray:
    """Render page ``number`` (1-based) of an open document; ``path`` names it in errors."""
    import pypdfium2 as pdfium

    try:
        page = doc[number - 1]
        try:
            width, height = page.get_size()
            bitmap = page.render(scale=render_scale(width, height, dpi), rev_byteorder=True)
            try:  # a copy: the bitmap's buffer is freed with it
                return np.array(bitmap.to_numpy()[:, :, :3], copy=True)
            finally:
                bitmap.close()
        finally:
            page.close()
    except (pdfium.PdfiumError, ValueError) as exc:
        raise ImageError(f"{path}: page {number}: cannot render ({exc})") from None


class PageRenderer:
    """Render the pages of one PDF, each in a child process within a memory and time budget.

    The document is opened here (its page count and page sizes; no page content is
    parsed), and pages are rendered by ``ovocr.pdf_worker`` in a child process, started
    on the first page and again after a page that ended it. Where that cannot run
    (Windows), pages are rendered in this process without a budget.

    Example:
        >>> with PageRenderer(path) as pages:  # doctest: +SKIP
        ...     first = pages.render(1, dpi=150)

    Args:
        path: the PDF file.
        password: the password of an encrypted PDF.
        memory: address space of the renderer in bytes.
        seconds: CPU and wall time one page may take.

    Raises:
        ImageError: the file cannot be opened (see ``open_pdf``).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        password: str | None = None,
        memory: int = PAGE_MEMORY,
        seconds: float = PAGE_SECONDS,
    ) -> None:
        self.path, self.password = Path(path), password
        self.memory, self.seconds = memory, seconds
        self.doc = open_pdf(path, password)
        self.page_count = len(self.doc)
        self._child: subprocess.Popen | None = None
        self._buffer = b""  # bytes read from the child and not used yet
        self._isolated = os.name == "posix" and bool(sys.executable)

    def __enter__(self) -> PageRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child process and close the document."""
        self._stop()
        self.doc.close()

    def render(self, number: int, dpi: float) -> np.ndarray:
        """Page ``number`` (1-based) as an RGB ``uint8`` array at ``dpi``.

        Raises:
            ImageError: the page cannot be rendered, or not within the budget.
        """
        if not 1 <= number <= self.page_count:
            raise ImageError(f"{self.path}: no page {number} (the PDF has {self.page_count})")
        if not self._isolated:
            return render_page(self.doc, self.path, number, dpi)
        import pypdfium2 as pdfium

        try:
            width, height = self.doc.get_page_size(number - 1)
            return self._render({"page": number, "scale": render_scale(width, height, dpi)})
        except pdfium.PdfiumError as exc:
            raise ImageError(f"{self.path}: page {number}: cannot render ({exc})") from None
        except _Over as over:
            self._stop()
            raise ImageError(f"{self.path}: page {number}: {over}; skipped") from None
        except ImageError as exc:
            raise ImageError(f"{self.path}: page {number}: {exc}") from None

    def _render(self, request: dict[str, Any]) -> np.ndarray:
        deadline = time.monotonic() + self.seconds
        child = self._start(deadline)
        assert child.stdin is not None
        try:
            child.stdin.write(json.dumps({**request, "seconds": self.seconds}).encode() + b"\n")
            child.stdin.flush()
        except BrokenPipeError:
            raise self._ended() from None
        header = self._header(deadline)
        if "error" in header:
            raise ImageError(header["error"])
        h, w, stride, channels = (int(header[k]) for k in ("height", "width", "stride", "channels"))
        pixels = self._read(h * stride, deadline)
        rows = np.frombuffer(pixels, np.uint8).reshape(h, stride)[:, : w * channels]
        return np.array(rows.reshape(h, w, channels)[:, :, :3], copy=True)

    def _start(self, deadline: float) -> subprocess.Popen:
        if self._child is not None and self._child.poll() is None:
            return self._child
        worker = Path(__file__).with_name("pdf_worker.py")
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-I", str(worker), os.fsdecode(self.path), str(self.memory)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as exc:
            raise ImageError(f"cannot start the PDF renderer ({exc.strerror or exc})") from None
        self._buffer = b""
        assert self._child.stdin is not None
        self._child.stdin.write(json.dumps({"password": self.password}).encode() + b"\n")
        self._child.stdin.flush()
        hello = self._header(deadline)
        if "error" in hello:
            self._stop()
            raise ImageError(hello["error"])
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    with contextlib.suppress(BrokenPipeError):
                        stream.close()

    def _header(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            self._buffer += self._chunk(deadline, 65536)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _read(self, size: int, deadline: float) -> bytearray:
        data = bytearray(size)
        view = memoryview(data)
        done = len(self._buffer[:size])
        view[:done] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        while done < size:
            chunk = self._chunk(deadline, min(size - done, 2**22))
            view[done : done + len(chunk)] = chunk
            done += len(chunk)
        return data

    def _chunk(self, deadline: float, size: int) -> bytes:
        """The next bytes from the child, waiting until ``deadline`` at most."""
        assert self._child is not None and self._child.stdout is not None
        fd = self._child.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Over(f"not rendered within {self.seconds:g} s (a PDF bomb?)")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                break
        chunk = os.read(fd, size)
        if not chunk:
            raise self._ended()
        return chunk

    def _ended(self) -> Exception:
        """Why the child ended: over its memory or CPU budget, or a crash."""
        assert self._child is not None
        code = self._child.wait()
        if code == -signal.SIGXCPU:
            return _Over(f"not rendered within {self.seconds:g} s of CPU time (a PDF bomb?)")
        if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL, -signal.SIGBUS):
            gigabytes = self.memory / 2**30
            return _Over(f"needs more than {gigabytes:.1f} GB of memory to render (a PDF bomb?)")
        return _Over(f"the renderer ended unexpectedly (exit code {code})")


class _Over(Exception):
    """A page went past its budget, or the renderer died on it."""


def render_text_pdf(
    path: str | os.PathLike,
    pages: Sequence[Sequence[str]],
    font_size: float = 11.0,
    font: str = "Helvetica",
    page_size: tuple[float, float] = LETTER,
    margin: float = 72.0,
) -> Path:
    """Write a born-digital PDF: each page holds the given lines of text.

    The text is real PDF text (one of the 14 standard fonts, Latin-1 characters only),
    not a picture, so ``load_pdf_pages`` renders it sharply at any DPI. Used by notebook
    11, the tests and the benchmarks, so nothing has to be downloaded.

    Args:
        path: where to write the PDF.
        pages: one list of text lines per page.
        font_size: in points (1/72 inch); body text of documents is 9-12.
        font: a standard PDF font, e.g. ``Helvetica``, ``Times-Roman``, ``Courier``.
        page_size: (width, height) in points; US letter by default.
        margin: left and top margin in points.
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument.new()
    try:
        for lines in pages:
            page = doc.new_page(*page_size)
            for i, text in enumerate(lines):
                obj = pdfium_c.FPDFPageObj_NewTextObj(doc, font.encode(), ctypes.c_float(font_size))
                if not obj:
                    raise ValueError(f"{font!r} is not a standard PDF font")
                encoded = (text + "\0").encode("utf-16-le")
                buffer = ctypes.create_string_buffer(encoded, len(encoded))
                pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
                baseline = page_size[1] - margin - font_size * (1.2 + 1.6 * i)
                pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, margin, baseline)
                pdfium_c.FPDFPage_InsertObject(page, obj)  # the page owns it from here
            page.gen_content()
            page.close()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        doc.save(target)
    finally:
        doc.close()
    return target
