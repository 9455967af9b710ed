"""The import direction core <- ui <- pages (ARCHITECTURE.md), checked by reading the imports."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB_OK = {"__future__", "math", "functools", "typing", "dataclasses", "itertools", "collections",
             "statistics", "enum", "numbers"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "core").glob("*.py")), ids=lambda p: p.name)
def test_core_imports_only_numpy_pandas_and_the_standard_library(path):
    bad = imports(path) - {"numpy", "pandas", "core"} - STDLIB_OK
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", sorted((ROOT / "ui").glob("charts*.py")), ids=lambda p: p.name)
def test_chart_builders_never_call_streamlit(path):
    assert "streamlit" not in imports(path)


@pytest.mark.parametrize("path", sorted((ROOT / "ui").glob("*.py")), ids=lambda p: p.name)
def test_ui_never_imports_pages(path):
    assert not imports(path) & {"pages", "app"}


@pytest.mark.parametrize("path", [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))],
                         ids=lambda p: p.name)
def test_pages_do_no_math_of_their_own(path):
    bad = imports(path) & {"numpy", "scipy", "math"}
    assert not bad, f"{path.name} imports {bad}: math belongs in core/"


def test_the_checker_would_catch_a_violation(tmp_path):
    f = tmp_path / "bad.py"
    f.write_text("import numpy as np\nfrom streamlit import cache_data\n")
    assert imports(f) == {"numpy", "streamlit"}


def test_importing_ui_first_leaves_numpy_with_one_blas_thread():
    """An entry point that imports ui before anything loads numpy still gets one BLAS thread
    (threadpoolctl only limits libraries already loaded; ui loads numpy itself first)."""
    import json
    import os
    import subprocess
    import sys
    code = ("import ui, json; from threadpoolctl import threadpool_info; "
            "print(json.dumps([(i['user_api'], i['num_threads']) for i in threadpool_info()]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={k: v for k, v in os.environ.items()
                                          if not k.endswith("NUM_THREADS")})
    blas = [n for api, n in json.loads(out.stdout) if api == "blas"]
    assert blas and all(n == 1 for n in blas), out.stdout
