"""Contact sheets: candidate thumbnails in a grid, each with its id written under it."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..io.read import to_uint

LABEL = 16  # pixels under each thumbnail for its id


def contact_sheet(items: list[tuple[int, np.ndarray]], columns: int, thumb: int) -> np.ndarray:
    """A float RGB ``[rows*(thumb+LABEL), columns*thumb, 3]`` grid of (id, image) thumbnails on dark grey."""
    rows = -(-len(items) // columns)
    sheet = Image.new("RGB", (columns * thumb, max(1, rows) * (thumb + LABEL)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for n, (cid, img) in enumerate(items):
        r, c = divmod(n, columns)
        tile = Image.fromarray(to_uint(img, 8))
        tile.thumbnail((thumb, thumb), Image.Resampling.LANCZOS)
        x0, y0 = c * thumb + (thumb - tile.width) // 2, r * (thumb + LABEL) + (thumb - tile.height) // 2
        sheet.paste(tile, (x0, y0))
        draw.text((c * thumb + 4, r * (thumb + LABEL) + thumb + 2), f"{cid}", fill=(230, 230, 230))
    return np.asarray(sheet, np.float32) / 255.0
