"""Shared pytest set-up: the project root on sys.path, so tests import core and ui directly."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Same single BLAS thread as the app (ui/__init__.py), also for tests that only import core.
# numpy first: threadpoolctl limits only the BLAS libraries already loaded.
import numpy  # noqa: E402, F401
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=1, user_api="blas")
