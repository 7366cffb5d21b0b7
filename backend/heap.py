"""Garbage-collector settings for a serving process.

Once the process has started, the libraries hold a few hundred thousand long-lived objects
(the schema, SQLAlchemy's mappers and compiled caches, imported modules). Every full
collection walks all of them again, and the default young-generation threshold (700
allocations) triggers collections many times per request. Freezing the start-up heap moves
those objects out of the collector's view, and a larger young threshold lets a request's
short-lived objects die by reference counting before a collection looks at them.
`make bench` measured both.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
"""Allocations (less deallocations) that trigger a young collection; Python's default is 700."""


def freeze_start_up_heap() -> None:
    """Collect what start-up left behind, then keep the survivors out of later collections."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
