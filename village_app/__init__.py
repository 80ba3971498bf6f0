"""村议 Cunyi: the village deliberation app (一核多会, 四议两公开)."""

__version__ = "0.1.0"
