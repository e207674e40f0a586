"""Laying out runs of a long document side by side:
`python -m reporting.pdf_runs RUN.html [RUN.html ...]`.

`reporting.renderers.PdfJob` writes each run's HTML to a file and starts one of these
fewer than REPORT_PDF_PROCESSES, each given every run, longest first; the compiling process
joins them (`lay_out`) once it has written the report's other files. A process takes the
next run no other has taken (it claims it by creating RUN.claim, which only one process
can create) and writes its PDF beside its HTML (RUN.pdf); a child prints one line of JSON
per run, `{"run": path, "pages": n}`. They share the work as they go, and finish together
however the runs' lengths differ.

No Django here: a child imports WeasyPrint and this module only, so it starts in well under
a second. They are plain subprocesses, not multiprocessing, which Celery's prefork workers
(daemonic processes) may not use.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path


def render_run(html_path: Path) -> int:
    """Lay out one run and write its PDF next to it; the number of its pages."""
    from weasyprint import HTML

    document = HTML(string=html_path.read_text(encoding="utf-8")).render()
    document.write_pdf(html_path.with_suffix(".pdf"))
    return len(document.pages)


def claim(html_path: Path) -> bool:
    """Whether this process takes the run: the first to create its claim file does."""
    try:
        os.close(os.open(html_path.with_suffix(".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def lay_out(paths: list[Path]) -> Iterator[tuple[Path, int]]:
    """Lay out each of `paths` that no other process has claimed: (path, its pages)."""
    for path in paths:
        if claim(path):
            yield path, render_run(path)


def main(argv: list[str]) -> int:
    for path, pages in lay_out([Path(name) for name in argv]):
        print(json.dumps({"run": str(path), "pages": pages}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
