"""The course's data: embedded datasets that need no network, and the real ones when they can be had.

``coursekit.data.toy``: 2-D point clouds (two spirals, moons, blobs, a ring of Gaussians).
"""

from coursekit.data import toy

__all__ = ["toy"]
