import json
import shutil

import numpy as np
import pytest
from conftest import write_series_spec
from PIL import Image
from typer.testing import CliRunner

from upscale2x.cli import app
from upscale2x.errors import SeriesError
from upscale2x.io.read import read_image
from upscale2x.series.run import Series, plan
from upscale2x.series.spec import load_spec, print_pixels

runner = CliRunner()


@pytest.fixture
def spec_file(tmp_path, tiny_bundles):
    def make(gen="blobs", size="1x0.5in", dpi=100, extra=""):
        return write_series_spec(tmp_path, tiny_bundles, gen, size, dpi, extra)

    return make


def _series(*args):
    return runner.invoke(app, ["series", *map(str, args), "--quiet"])


def test_end_to_end_sheet_manifest_picks_and_rerun(tmp_path, spec_file):
    spec = spec_file()
    out = tmp_path / "out"
    r = _series(spec, "--out", out)
    assert r.exit_code == 0, r.output
    cands = sorted((out / "candidates").iterdir())
    assert len(cands) == 4  # (1 image + 1 generated) x 2 candidates
    assert Image.open(cands[0]).size == (30, 24)  # a see model keeps the size
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["id"] for c in manifest["candidates"]] == [0, 1, 2, 3]
    assert manifest["candidates"][2]["source"] == "generated:blobs:0"
    assert {"seed", "shift", "rotate", "contrast"} <= set(manifest["candidates"][0])
    sheet = Image.open(out / "sheets" / "t_sheet_001.png")
    assert sheet.size == (3 * 32, 2 * (32 + 16))
    stamps = {p: p.stat().st_mtime_ns for p in cands}
    r = _series(spec, "--out", out)
    assert r.exit_code == 0
    assert {p: p.stat().st_mtime_ns for p in cands} == stamps  # nothing re-rendered
    r = _series(spec, "--out", out, "--pick", "1,3")
    assert r.exit_code == 0, r.output
    picks = sorted((out / "picks").iterdir())
    assert [p.name for p in picks] == ["t_0001_100x50.tiff", "t_0003_100x50.tiff"]
    pic = read_image(picks[0])
    assert pic.size == (50, 100) and pic.info.bits == 16 and pic.info.dpi == (100, 100)


def test_same_seed_same_pixels_and_seeds_differ(tmp_path, spec_file):
    spec = load_spec(spec_file())
    a, b = Series(spec, tmp_path / "a"), Series(spec, tmp_path / "b")
    a.render_candidates()
    b.render_candidates()
    for cid in range(4):
        np.testing.assert_array_equal(
            np.asarray(Image.open(a.candidate_path(cid))), np.asarray(Image.open(b.candidate_path(cid)))
        )
    # Two seeds of one source get different dropout masks (checked after the first dropout layer: an untrained
    # tiny model's final outputs are all within 1e-3 of mid-grey); the same seed gives the same masks.
    from upscale2x.model._tf import keras

    c0, c1 = a.candidates[:2]
    assert c0.source == c1.source and c0.seed != c1.seed
    src = np.random.default_rng(1).random((1, 256, 256, 1)).astype(np.float32)

    def after_dropout(cand):
        model = a.stage(spec.model, cand).model
        return np.asarray(keras.Model(model.input, model.get_layer("up1_drop").output)(src))

    y0, y1 = after_dropout(c0), after_dropout(c1)
    assert np.abs(y0 - y1).max() > 1e-3
    np.testing.assert_array_equal(after_dropout(c0), y0)


def test_shards_cover_the_series_exactly_once(tmp_path, spec_file):
    spec = load_spec(spec_file())
    done = []
    for k in (1, 2):
        s = Series(spec, tmp_path / "o", (k, 2))
        done.append({p.name for p in s.render_candidates().rendered})
    assert done[0].isdisjoint(done[1])
    assert done[0] | done[1] == {f"t_{i:04d}.png" for i in range(len(plan(spec)))}


@pytest.mark.parametrize(
    ("size", "dpi", "pixels"),
    [("50x50cm", 300, (5906, 5906)), ("8x10in", 300, (2400, 3000)), ("297x420mm", 150, (1754, 2480))],
)
def test_print_size_to_pixels(size, dpi, pixels):
    assert print_pixels(size, dpi) == pixels


def test_pick_needing_two_upscaler_stages(tmp_path, spec_file):
    # 24x30 candidate -> 1.2x1.0in at 400 dpi = 480x400 px: two 8x stages, then cover-crop to exactly 480x400.
    spec = load_spec(spec_file(size="1.2x1in", dpi=400))
    s = Series(spec, tmp_path / "o")
    s.render_picks([0])
    pic = read_image(s.pick_path(0, (480, 400)))
    assert pic.size == (400, 480) and pic.info.dpi == (400, 400)


def test_a_bad_source_is_reported_at_the_end(tmp_path, spec_file):
    spec = spec_file()
    (tmp_path / "src" / "b.png").write_text("broken")
    r = _series(spec, "--out", tmp_path / "o")
    assert r.exit_code == 1
    assert "b.png: not an image" in r.output and "1 source(s) failed" in r.output
    assert len(list((tmp_path / "o" / "candidates").iterdir())) == 4  # the good sources were all rendered


@pytest.mark.parametrize(
    ("extra", "kw", "message"),
    [
        ("\n[series2]\nx = 1\n", {}, "unknown section [series2]"),
        ("", {"size": "0x10cm"}, "each side must be 1..65536"),
        ("", {"size": "ten by ten"}, "is not like 50x50cm"),
        ("", {"size": "1000x1000cm", "dpi": 300}, "each side must be 1..65536"),
    ],
)
def test_bad_specs(spec_file, extra, kw, message):
    with pytest.raises(SeriesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_spec(spec_file(extra=extra, **kw))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("candidates = 2", 'candidates = "four"', "[series]: candidates must be an integer, got 'four'"),
        ("candidates = 2", "candidates = 2.5", "[series]: candidates must be an integer, got 2.5"),
        ("candidates = 2", "candidates = true", "[series]: candidates must be an integer, got True"),
        ('name = "t"', "name = 5", "[series]: name must be a string, got 5"),
        ("shift = 2", 'shift = "8"', "[variation]: shift must be an integer, got '8'"),
        ('images = ["src/*.png"]', 'images = "src/a.png"', "[sources]: images must be a list, got 'src/a.png'"),
    ],
)
def test_ill_typed_spec_fields_are_named(spec_file, old, new, message):
    p = spec_file()
    p.write_text(p.read_text().replace(old, new))
    with pytest.raises(SeriesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_spec(p)


def test_unknown_field_and_missing_model(tmp_path, spec_file):
    p = spec_file()
    p.write_text(p.read_text().replace("shift = 2", "shfit = 2"))
    with pytest.raises(SeriesError, match=r"\[variation\]: unknown field 'shfit'"):
        load_spec(p)
    p = spec_file()
    r = _series(p, "--out", tmp_path / "o", "--model", str(tmp_path / "nope"))
    assert r.exit_code == 1 and "model" in r.output and "nope: no such model folder" in r.output
    r = _series(p, "--out", tmp_path / "o", "--pick", "99")
    assert r.exit_code == 1 and "no candidate 99" in r.output
    shutil.rmtree(tmp_path / "src")
    with pytest.raises(SeriesError, match=r"src/\*\.png: no such image, folder or matching files"):
        load_spec(p)


@pytest.mark.parametrize(
    "size,dpi,pixels",
    [
        ("A4", 300, (2480, 3508)),
        ("a3 landscape", 300, (4961, 3508)),
        ("Letter", 100, (850, 1100)),
        ("Tabloid", 100, (1100, 1700)),
        ("A6-landscape", 100, (583, 413)),
    ],
)
def test_paper_names(size, dpi, pixels):
    assert print_pixels(size, dpi) == pixels


def test_a_bad_print_size_flag_blames_the_flag_not_the_spec(tmp_path, spec_file):
    r = _series(spec_file(), "--out", tmp_path / "o", "--print-size", "B5")
    assert r.exit_code == 1 and "--print-size: print size 'B5'" in r.output and "s.toml" not in r.output


def test_fit_pad_keeps_the_whole_candidate_on_white_margins(tmp_path, spec_file):
    # A 24x30 candidate on a 1x1in print at 96 dpi: contained at 77x96, white bands above and below.
    spec = load_spec(spec_file(size="1x1in", dpi=96, extra='fit = "pad"\n'))
    assert spec.print.fit == "pad"
    s = Series(spec, tmp_path / "o")
    s.render_picks([0])
    pic = read_image(s.pick_path(0, (96, 96)))
    assert pic.size == (96, 96)
    top = (96 - 77) // 2
    assert np.allclose(pic.rgb[:top], 1.0) and np.allclose(pic.rgb[top + 77 :], 1.0)
    assert not np.allclose(pic.rgb[top + 5 : top + 70], 1.0)  # the picture itself
    bad = spec_file(extra='fit = "zoom"\n')
    with pytest.raises(SeriesError, match="fit must be crop or pad"):
        load_spec(bad)


def test_series_paths_and_picks_are_checked_before_any_work(tmp_path, spec_file):
    spec = spec_file()
    r = _series(tmp_path)  # a folder as the spec
    assert r.exit_code == 1 and "is a folder; give the spec file" in r.output
    (tmp_path / "afile").write_text("")
    r = _series(spec, "--out", tmp_path / "afile")
    assert r.exit_code == 1 and "is a file; --out needs a folder" in r.output
    for pick, message in (("0-1000000000", "picks more than 100,000"), ("5-3", "5-3 is an empty range")):
        r = _series(spec, "--out", tmp_path / "o", "--pick", pick)
        assert r.exit_code == 2 and message in r.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("candidates = 2", "candidates = 100000000", "candidates must be at most 100,000"),
        ("generated = 1", "generated = -3", "[sources] generated must be >= 0, got -3"),
    ],
)
def test_absurd_counts_are_refused_at_once(spec_file, old, new, message):
    """Issue 28: 100,000,000 candidates grew memory until killed; generated = -3 ran as 0 with exit 0."""
    p = spec_file()
    p.write_text(p.read_text().replace(old, new))
    with pytest.raises(SeriesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_spec(p)


def test_an_empty_pick_is_a_usage_error_not_the_candidate_phase(tmp_path, spec_file):
    r = _series(spec_file(), "--out", tmp_path / "o", "--pick", "")
    assert r.exit_code == 2 and "no ids given" in r.output
    assert not (tmp_path / "o").exists()


def test_a_failed_series_leaves_no_empty_folders(tmp_path, spec_file):
    p = spec_file()
    r = _series(p, "--out", tmp_path / "o", "--model", str(tmp_path / "nope"))
    assert r.exit_code == 1 and "nope: no such model folder" in r.output
    assert not (tmp_path / "o").exists()
    r = _series(p, "--out", tmp_path / "o2", "--upscaler", str(tmp_path / "nope"), "--pick", "0")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert not (tmp_path / "o2").exists()


def test_a_manifest_that_cannot_be_written_is_one_line(tmp_path, spec_file):
    (tmp_path / "o" / "manifest.json").mkdir(parents=True)  # a folder where the manifest goes
    r = _series(spec_file(), "--out", tmp_path / "o")
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert "manifest.json: cannot write the manifest" in r.output.replace("\n", "")


def test_a_spec_without_an_upscaler_gets_the_imagining_one_after_a_see_model(tmp_path, spec_file, monkeypatch):
    """Up-imagining is the default: after a see model the series upscales with sr8x-dream where it is shipped."""
    from conftest import make_bundle

    from upscale2x.series.spec import IMAGINING_UPSCALER

    models = tmp_path / "models"
    monkeypatch.setenv("UPSCALE2X_MODELS", str(models))
    p = spec_file()
    text = "\n".join(line for line in p.read_text().splitlines() if not line.startswith("upscaler"))
    p.write_text(text)
    models.mkdir()
    assert load_spec(p).upscaler == "sr8x"  # none shipped: the faithful default
    make_bundle(models / IMAGINING_UPSCALER, "sr8x")
    assert load_spec(p).upscaler == IMAGINING_UPSCALER
    sr_first = text.replace('model = "', 'model = "' + str(models / IMAGINING_UPSCALER) + '" # ', 1)
    p.write_text(sr_first)
    assert load_spec(p).upscaler == "sr8x"  # not after an upscaler
    p.write_text(text + "\n")
    assert load_spec(p, upscaler="sr8x").upscaler == "sr8x"  # a flag (or the spec) still chooses


def test_picks_are_saved_with_the_series_and_pick_saved_renders_them(tmp_path, spec_file):
    from upscale2x.series.picks import load_picks, save_picks

    spec, out = spec_file(), tmp_path / "out"
    r = _series(spec, "--out", out, "--pick", "saved")
    assert r.exit_code == 1 and "picks.json: no saved picks" in r.output and not out.exists()
    assert _series(spec, "--out", out).exit_code == 0
    r = _series(spec, "--out", out, "--pick", "3")
    assert r.exit_code == 0, r.output
    assert load_picks(out) == [3]
    r = _series(spec, "--out", out, "--pick", "99")  # a bad id saves nothing
    assert r.exit_code == 1 and "no candidate 99 (ids are 0..3)" in r.output and load_picks(out) == [3]
    save_picks(out, [1, 3], known=4)  # as the studio page saves them
    shutil.rmtree(out / "picks")
    r = _series(spec, "--out", out, "--pick", "saved")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (out / "picks").iterdir()) == ["t_0001_100x50.tiff", "t_0003_100x50.tiff"]
    with pytest.raises(SeriesError, match="no candidate 4"):
        save_picks(out, [4], known=4)
    (out / "picks.json").write_text('{"picks": [1, "x"]}')
    r = _series(spec, "--out", out, "--pick", "saved")
    assert r.exit_code == 1 and "picks.json: not a picks file" in r.output


def test_more_adds_a_round_of_candidates_without_changing_the_others(tmp_path, spec_file):
    spec, out = spec_file(), tmp_path / "out"
    assert _series(spec, "--out", out).exit_code == 0
    before = json.loads((out / "manifest.json").read_text())["candidates"]
    pixels = np.asarray(Image.open(out / "candidates" / "t_0003.png"))
    r = _series(spec, "--out", out, "--more")
    assert r.exit_code == 0, r.output
    after = json.loads((out / "manifest.json").read_text())["candidates"]
    assert after[:4] == before and [c["id"] for c in after] == list(range(8))
    assert [c["source"] for c in after[4:]] == [c["source"] for c in before]  # 2 more per source
    assert len({c["seed"] for c in after}) == 8  # every new candidate its own seed
    assert sorted(p.name for p in (out / "candidates").iterdir())[-1] == "t_0007.png"
    np.testing.assert_array_equal(np.asarray(Image.open(out / "candidates" / "t_0003.png")), pixels)
    assert len(Series(load_spec(spec), out).candidates) == 8  # the series folder remembers the round
    r = _series(spec, "--out", out, "--more", "--pick", "1")
    assert r.exit_code == 1 and "one at a time" in r.output
    (out / "rounds.json").write_text('{"rounds": 0}')
    r = _series(spec, "--out", out)
    assert r.exit_code == 1 and "rounds.json: not a rounds file" in r.output
