"""Laying out runs of a long document in a process of its own:
`python -m reporting.pdf_runs RUN.html [RUN.html ...]`.

`reporting.renderers.render_pdf` writes each run's HTML to a file and starts
REPORT_PDF_PROCESSES of these, each given every n-th run. For each run this writes the PDF
beside its HTML (RUN.pdf) and prints one line of JSON, `{"run": path, "pages": n}`.

No Django here: a child imports WeasyPrint and this module only, so it starts in well under
a second. They are plain subprocesses, not multiprocessing, which Celery's prefork workers
(daemonic processes) may not use.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def render_run(html_path: Path) -> int:
    """Lay out one run and write its PDF next to it; the number of its pages."""
    from weasyprint import HTML

    document = HTML(string=html_path.read_text(encoding="utf-8")).render()
    document.write_pdf(html_path.with_suffix(".pdf"))
    return len(document.pages)


def main(argv: list[str]) -> int:
    for name in argv:
        pages = render_run(Path(name))
        print(json.dumps({"run": name, "pages": pages}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
