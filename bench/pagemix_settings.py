"""Production settings plus one bench-only URL: the trivial signed-in view (bench_pagemix.py)."""

from narraforge.settings import *  # noqa: F403

ROOT_URLCONF = "bench.pagemix_urls"
