"""The quality measures: PSNR/SSIM protocol, sharpness, the lattice (checkerboard) and dither (fine screen) measures."""

import numpy as np
import pytest
from skimage import data

from upscale2x.metrics import lattice_ratio, lattice_share, periodic_component, psnr, sharpness


@pytest.fixture(scope="module")
def photo():
    return data.astronaut().astype(np.float32) / 255.0


def _checkerboard(shape, levels=(0.4, 0.6)):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.where((xx + yy) % 2 == 0, levels[0], levels[1]).astype(np.float32)


def test_a_photo_against_itself_and_other_photos_is_near_one(photo):
    assert lattice_ratio(photo, photo) == pytest.approx(1.0)
    # Another natural photo of the same size, converted to grayscale: the same order of magnitude.
    camera = np.repeat((data.camera().astype(np.float32) / 255.0)[..., None], 3, axis=2)
    assert 0.1 < lattice_ratio(camera, photo) < 30


def test_a_planted_two_pixel_checkerboard_is_far_above_one(photo):
    # A 2-px checkerboard of two grey levels, 2 % of the range, added to the photo: barely visible, yet the lattice
    # bins hold hundreds of times the photo's share.
    planted = np.clip(photo + 0.2 * (_checkerboard(photo.shape[:2])[..., None] - 0.5), 0, 1)
    assert lattice_ratio(planted, photo) > 100
    # A pure checkerboard of a few grey levels is nearly all lattice power.
    assert lattice_share(_checkerboard((64, 96), (0.2, 0.8))) > 0.99


def test_an_eight_pixel_grid_counts_too(photo):
    yy, xx = np.mgrid[:512, :512]
    grid = ((yy % 8 == 0) | (xx % 8 == 0)).astype(np.float32)[..., None] * 0.05
    assert lattice_ratio(np.clip(photo + grid, 0, 1), photo) > 20


def test_periodic_plus_smooth_removes_the_border_jump(photo):
    # An image's wrap-around (right edge against left, bottom against top) is a jump a plain FFT spreads over
    # every bin on the axes, lattice bins included; the periodic component has no such jump.
    ramp = np.tile(np.linspace(0, 1, 128, dtype=np.float32), (128, 1))
    p = periodic_component(ramp)
    assert abs(p[:, 0] - p[:, -1]).max() < 0.01  # the ramp itself jumps by 1.0
    y = photo @ np.array([0.299, 0.587, 0.114], np.float32)
    plain = np.abs(np.fft.fft2(y - y.mean())) ** 2
    plain[0, 0] = 0
    plain_share = plain[::64, ::64].sum() / plain.sum()
    assert lattice_share(photo) < plain_share / 3


def test_lattice_rejects_tiny_or_mismatched_images(photo):
    with pytest.raises(ValueError, match="at least 16x16"):
        lattice_share(np.zeros((8, 40, 3), np.float32))
    with pytest.raises(ValueError, match="one size"):
        lattice_ratio(photo, photo[:256])


def test_psnr_is_on_luma_and_leaves_the_border_out(photo):
    noisy = photo.copy()
    noisy[:8] = 0.0  # damage only inside the shaved border
    assert psnr(noisy, photo) == float("inf")
    shifted = np.clip(photo + 0.01, 0, 1)
    assert psnr(shifted, photo) == pytest.approx(40.0, abs=0.3)


def test_sharpness_is_zero_for_flat_and_grows_with_detail(photo):
    assert sharpness(np.full((32, 32, 3), 0.5, np.float32)) == 0.0
    from scipy.ndimage import gaussian_filter

    blurred = gaussian_filter(photo, sigma=(2, 2, 0))
    assert sharpness(blurred) < 0.5 * sharpness(photo)


# --- The measures of imagined pictures (benchmarks/imagine.py) ---


def test_a_photo_against_itself_scores_one_on_every_imagine_measure(photo):
    from upscale2x.metrics import imagine_scores

    s = imagine_scores(photo, photo)
    assert s["detail"] == pytest.approx(1.0)
    assert s["colourfulness"] == pytest.approx(1.0)
    assert s["axis"] == pytest.approx(1.0)
    assert s["lattice"] == pytest.approx(1.0)
    assert s["frame"] == 0.0


def test_a_blur_has_little_detail_and_grey_has_no_colour(photo):
    from scipy.ndimage import gaussian_filter

    from upscale2x.metrics import colourfulness, imagine_scores

    blurred = gaussian_filter(photo, (2, 2, 0))
    assert imagine_scores(blurred, photo)["detail"] < 0.3
    grey = np.repeat(photo.mean(axis=2, keepdims=True), 3, axis=2)
    assert colourfulness(grey) == pytest.approx(0.0, abs=1e-6)
    assert 20 < colourfulness(photo) < 150  # an everyday photo on the Hasler-Süsstrunk scale


def test_planted_streaks_raise_the_axis_share(photo):
    from upscale2x.metrics import axis_share, imagine_scores

    rng = np.random.default_rng(0)
    columns = 0.1 * rng.standard_normal(photo.shape[1]).astype(np.float32)  # each column a little lighter or darker
    streaked = np.clip(photo + columns[None, :, None], 0, 1)
    assert imagine_scores(streaked, photo)["axis"] > 1.2
    # Pure streaks put 2/3 of their power on the axis (the Hann window spreads the rest to the next bins, as its
    # spectrum is 1/2, -1/4, -1/4); white noise puts about 2 / side of it there.
    assert axis_share(np.tile(columns, (64, 1))[:, :64]) > 0.6
    assert axis_share(rng.random((256, 256))) < 0.02


def test_a_planted_frame_raises_the_frame_score(photo):
    from upscale2x.metrics import frame_excess, frame_step

    framed = photo.copy()
    framed[:4] += 0.02
    framed[-4:] += 0.02
    framed[4:-4, :4] += 0.02
    framed[4:-4, -4:] += 0.02
    assert frame_excess(np.clip(framed, 0, 1), photo) == pytest.approx(0.02 * 255, rel=0.1)  # 5 grey levels
    flat = np.full((64, 64), 0.5, np.float32)
    assert frame_step(flat) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="frame step needs"):
        frame_step(flat[:20, :20])


def test_dither_sees_a_fine_screen_the_lattice_bins_miss(photo):
    from scipy.ndimage import gaussian_filter

    from upscale2x.metrics import dither_ratio

    assert dither_ratio(photo, photo) == pytest.approx(1.0)
    # A mesh of period 2.3 px (a GAN's fine screen: off the 2/4/8 px bins), +-6 % of the range, added to the photo.
    yy, xx = np.mgrid[:512, :512]
    mesh = 0.03 * (np.cos(2 * np.pi * xx / 2.3) + np.cos(2 * np.pi * yy / 2.3))
    screened = np.clip(photo + mesh[..., None].astype(np.float32), 0, 1)
    assert dither_ratio(screened, photo) > 3
    assert lattice_ratio(screened, photo) < 2  # what the lattice measure alone would have passed
    # A blur takes the finest frequencies away.
    assert dither_ratio(gaussian_filter(photo, (1.5, 1.5, 0)), photo) < 0.2


def test_compare_reports_the_dither_of_model_and_bicubic(photo):
    from upscale2x.metrics import compare

    res = compare([photo], [photo], [photo])
    assert res["dither_model"] == res["dither_bicubic"] == pytest.approx(1.0)
