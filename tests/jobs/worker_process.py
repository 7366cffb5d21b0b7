"""A worker process running the test jobs, for tests that kill or stop it: `python -m` this
module.

Settings come from the environment, and SIGTERM stops it, as for `certready worker`.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from backend.jobs.process import JobProcess
from backend.settings import Settings
from tests.jobs.helpers import TEST_JOBS


def _exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _exit)
    process = JobProcess(Settings(), TEST_JOBS)
    process.start()
    print("ready", flush=True)
    try:
        threading.Event().wait()
    except SystemExit:
        pass
    finally:
        process.stop()


if __name__ == "__main__":
    main()
