"""What pages share: the knob table and its URL/state sync, the page frame and menu, charts."""

import numpy  # noqa: F401  (loads OpenBLAS first: threadpoolctl limits only libraries already loaded)
from threadpoolctl import threadpool_limits

# One BLAS thread per process. The app's matrices are small and many sessions run at once on a
# 2-core host: OpenBLAS's default thread pool made a 512x512 QR 4x slower under load (measured),
# and one long-term-dependencies rerun 40x slower. Every page imports ui before computing.
threadpool_limits(limits=1, user_api="blas")
