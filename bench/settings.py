"""Settings of the benchmark server: the production settings, plus the benchmark's own URLs
(the textbook DRF list) and a middleware that counts each request's queries. Used only by
`bench/run.py` (`make bench`), never by the application."""

from __future__ import annotations

from cms_mandates.settings import *  # noqa: F403
from cms_mandates.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.count_queries", *MIDDLEWARE]
