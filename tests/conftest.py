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

# The app builds charts without Altair's debug mode (ui/altair_speed.py); the tests build them with
# it, so every chart object is validated against the Vega-Lite schema as it is created.
from altair.utils.schemapi import enable_debug_mode  # noqa: E402

import ui.altair_speed  # noqa: E402, F401

enable_debug_mode()
