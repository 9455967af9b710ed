"""Small text helpers for numbers in captions and help texts (no Streamlit)."""

from __future__ import annotations

_SUPERSCRIPT = str.maketrans("-−0123456789", "⁻⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sup(x: float | int | str) -> str:
    """An exponent as superscript characters: -12 -> ⁻¹², 'T−1' is left to the caller.
    Floats are rounded to whole numbers first."""
    text = f"{x:.0f}" if isinstance(x, float) else str(x)
    return text.translate(_SUPERSCRIPT)
