"""Checks of notebook 04's exercises: the mask of a masked convolution."""

from __future__ import annotations

import torch

from coursekit import pixelcnn as _pixelcnn
from coursekit.checks.core import Check, Trial

__all__ = ["check_causal_mask"]  # the checks, exported by coursekit.checks

# ---------------------------------------------------------------------------------------------------------------
# Exercise 1: the mask
# ---------------------------------------------------------------------------------------------------------------

CAUSAL_MASK_HINTS = {
    "ignores type": "causal_mask returns the same mask for mask_type 'A' and 'B' (kernel_size={k}): the two differ "
                    "only at the centre. Mask A hides the centre pixel (the first layer must not see the pixel it "
                    "predicts); mask B lets it through (later layers, whose centre already holds only the past).",
    "swapped": "causal_mask swaps A and B ({where}): mask A hides the centre pixel (the first layer must not see the "
               "pixel it predicts), mask B lets it through (later layers).",
    "rows below": "causal_mask lets rows below the centre through ({where}): they are the future.",
    "right of centre": "causal_mask lets pixels right of the centre, on the centre row, through ({where}): in raster "
                       "order they come later.",
    "rows above": "causal_mask hides some rows above the centre ({where}): all of them come earlier.",
    "left of centre": "causal_mask hides pixels left of the centre on its row ({where}): they come earlier.",
    "differs": "causal_mask {where} gave\n{got}\nexpected\n{expected}.",
}


def _check_causal_mask(t: Trial) -> None:
    """A student's ``causal_mask(kernel_size, mask_type)`` against ``coursekit.pixelcnn.causal_mask``."""
    for k in (3, 5, 7):
        masks = {}
        for mask_type in ("A", "B"):
            out = t.call(k, mask_type)
            expected = _pixelcnn.causal_mask(k, mask_type)
            t.expect_tensor(out, expected)
            masks[mask_type] = out.float()
        if torch.equal(masks["A"], masks["B"]):
            raise t.fail("ignores type", k=k)
        for mask_type, out in masks.items():
            expected = _pixelcnn.causal_mask(k, mask_type)
            if torch.equal(out, expected):
                continue
            other = _pixelcnn.causal_mask(k, "B" if mask_type == "A" else "A")
            c = k // 2
            where = f"for kernel_size={k}, mask_type={mask_type!r}"
            if torch.equal(out, other):
                raise t.fail("swapped", where=where)
            if out[c + 1:].any():
                raise t.fail("rows below", where=where)
            if out[c, c + 1:].any():
                raise t.fail("right of centre", where=where)
            if not out[:c].all():
                raise t.fail("rows above", where=where)
            if not out[c, :c].all():
                raise t.fail("left of centre", where=where)
            raise t.fail("differs", where=where, got=out, expected=expected)


check_causal_mask = Check("causal_mask", _check_causal_mask, CAUSAL_MASK_HINTS, reference=_pixelcnn.causal_mask)
