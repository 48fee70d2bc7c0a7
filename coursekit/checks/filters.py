"""Checks of notebook 03's exercises."""

from __future__ import annotations

__all__: list[str] = []
