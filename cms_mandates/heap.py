"""Shorter garbage-collection pauses in the web server's processes.

Python's cyclic collector now and then walks every object of the process (its oldest
generation). In a worker that has served a few requests, most of those objects are the
loaded application itself (modules, URL patterns, compiled templates, translations,
caches), which live as long as the process; measured on the scale data with the list,
Party and mandate pages in turn, one such walk took 80-100 ms and came every 80 requests
or so, the slowest percent of every page. `FreezeAfterWarmUp` moves what is alive after
the first requests out of the collector's sight (`gc.freeze`), so that later walks only
see what was made since: 14-15 ms, most of it freeing the requests' own garbage.

Freezing changes nothing a request sees. An object frozen is still freed when nothing
refers to it; only a cycle of frozen objects is never collected, so the freeze runs at the
start of a request, after a full collection, when the thread's earlier requests are gone.
A request still in flight on another thread at that moment can leave its cycles frozen:
a few thousand objects at most, at each of the few freezes (settings
`GC_FREEZE_AFTER_REQUESTS`).
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger(__name__)

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FreezeAfterWarmUp:
    """A WSGI application that serves as `application` does and, before the request that
    follows the n-th of this process for each n in `after` (say 10, 100, 1000: what is
    loaded lazily, by the first request of each page, is frozen too), collects and then
    freezes what is alive."""

    def __init__(self, application: WSGIApplication, after: Iterable[int]) -> None:
        self.application = application
        self.after = frozenset(n for n in after if n > 0)
        # next() on a count is atomic under the GIL: each request gets its own number.
        self._served = itertools.count(0)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        if self.after and next(self._served) in self.after:
            freeze_heap()
        return self.application(environ, start_response)


def freeze_heap() -> int:
    """Collect every generation, then freeze what is left; the number of objects frozen
    in all (this freeze and the earlier ones)."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.debug("Heap frozen: %d objects out of the collector's sight", frozen)
    return frozen


def parse_counts(value: str) -> tuple[int, ...]:
    """`GC_FREEZE_AFTER_REQUESTS` as request counts: "10,100,1000"; empty for none.
    ValueError names what is wrong."""
    counts = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise ValueError(
                f"GC_FREEZE_AFTER_REQUESTS: {part!r} is not a whole number of requests (1 or more)."
            )
        counts.append(int(part))
    return tuple(sorted(set(counts)))
