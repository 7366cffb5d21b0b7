"""A worker process running the test jobs, for tests that kill it: `python -m` this module.

Settings come from the environment, as for `certready worker`.
"""

from __future__ import annotations

import threading

from backend.jobs.process import JobProcess
from backend.settings import Settings
from tests.jobs.helpers import TEST_JOBS


def main() -> None:
    process = JobProcess(Settings(), TEST_JOBS)
    process.start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
