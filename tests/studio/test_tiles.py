import numpy as np
import pytest

from upscale2x.errors import RenderError
from upscale2x.io.write import write_image
from upscale2x.studio import tiles as tiles_mod
from upscale2x.studio.tiles import PrintTiles, dzi


def _print(tmp_path, fmt, h=700, w=900, bits=16):
    rng = np.random.default_rng(1)
    img = rng.random((h, w, 3)).astype(np.float32)
    path = tmp_path / f"p.{fmt}"
    write_image(path, img, bits=bits, overwrite=True)
    return path, img


@pytest.mark.parametrize("fmt", ["tiff", "png"])
def test_tiles_match_the_print_at_every_level(tmp_path, fmt, monkeypatch):
    monkeypatch.setattr(tiles_mod, "OVERVIEW_SIDE", 128)  # a small print still gets an overview (factor 8)
    path, img = _print(tmp_path, fmt)
    t = PrintTiles(path, tmp_path / "cache")
    assert (t.width, t.height, t.levels, t.factor) == (900, 700, 10, 8)
    want = np.round(img.astype(np.float64) * 65535) / 65535  # what the 16-bit file holds
    full = t.tile(10, 1, 2)  # full resolution: rows 512..700, cols 256..512
    assert full.shape == (188, 256, 3) and full.dtype == np.uint8
    assert np.abs(full - want[512:700, 256:512] * 255).max() <= 0.51  # the 8-bit view of the 16-bit print
    for level in (9, 7, 6, 3, 0):  # from print tiles (scale 2, 8) and from the overview (16 and up)
        scale = 2 ** (10 - level)
        got = t.tile(level, 0, 0).astype(np.float64)
        h, w = min(700, 256 * scale), min(900, 256 * scale)
        assert got.shape == (-(-h // scale), -(-w // scale), 3)
        ref = tiles_mod._area(want[:h, :w], scale) * 255
        assert np.abs(got - ref).max() <= 1.0, level  # rounding only
    assert (tmp_path / "cache").is_dir() and any((tmp_path / "cache").glob("*.overview8.png"))
    with pytest.raises(RenderError, match="no tile 4_0 at level 10"):
        t.tile(10, 4, 0)
    with pytest.raises(RenderError, match="no level 11"):
        t.tile(11, 0, 0)
    t.close()


def test_dzi_names_the_size():
    assert '<Size Width="900" Height="700"/>' in dzi(900, 700) and 'TileSize="256"' in dzi(900, 700)


def test_a_file_that_is_no_print_is_one_error(tmp_path):
    bad = tmp_path / "x.tiff"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(RenderError, match="x.tiff: cannot read the print"):
        PrintTiles(bad, tmp_path / "cache")
