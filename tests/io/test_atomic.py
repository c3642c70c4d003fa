"""Atomic writes: nothing partial, temporaries that never follow links, and no silent replacement."""

import os
import stat

import numpy as np
import pytest

from upscale2x.errors import ImageWriteError
from upscale2x.io.atomic import atomic_file, atomic_folder, write_bytes
from upscale2x.io.write import ImageWriter, write_image


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_a_file_that_appears_meanwhile_is_not_replaced(tmp_path):
    target = tmp_path / "o.bin"
    with pytest.raises(FileExistsError):
        with atomic_file(target) as fh:
            fh.write(b"mine")
            target.write_bytes(b"theirs")  # another process publishes first
    assert target.read_bytes() == b"theirs" and _leftovers(tmp_path) == []
    with atomic_file(target, replace=True) as fh:
        fh.write(b"mine")
    assert target.read_bytes() == b"mine"


def test_an_error_inside_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_file(tmp_path / "o.bin") as fh:
            fh.write(b"half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError):
        with atomic_folder(tmp_path / "ckpt") as d:
            (d / "state").write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_published_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = write_bytes(tmp_path / "card.json", b"{}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    with atomic_folder(tmp_path / "ckpt") as d:
        (d / "state").write_text("x")
    assert stat.S_IMODE((tmp_path / "ckpt").stat().st_mode) == 0o777 & ~umask


def test_a_planted_symlink_is_never_followed(tmp_path):
    """The old temporary name was predictable (.o.png.<pid>.part): a link planted there redirected the write."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for pid in {os.getpid(), *range(os.getpid() - 5, os.getpid() + 5)}:
        (tmp_path / f".o.png.{pid}.part").symlink_to(victim)
    write_image(tmp_path / "o.png", np.full((8, 8, 3), 0.5, np.float32))
    assert victim.read_text() == "precious"
    assert (tmp_path / "o.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_two_writers_racing_for_one_name_exactly_one_wins(tmp_path):
    target = tmp_path / "o.png"
    a = ImageWriter(target, 4, 4)  # both pass the early check: the name is free when they start
    b = ImageWriter(target, 4, 4)
    with a:
        a.write(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ImageWriteError, match="o.png: already exists \\(written by another process during this"):
        with b:
            b.write(np.ones((4, 4, 3), np.float32))
    from upscale2x.io.read import read_image

    assert read_image(target).rgb.max() == 0.0  # the winner's pixels
    assert _leftovers(tmp_path) == []


def test_a_folder_at_the_output_name_is_refused_before_rendering(tmp_path):
    (tmp_path / "out.png").mkdir()
    with pytest.raises(ImageWriteError, match="out.png: is a folder, not an image file name"):
        ImageWriter(tmp_path / "out.png", 4, 4, overwrite=True)


def test_render_to_an_existing_folder_is_one_line_and_leaves_nothing(tmp_path):
    from typer.testing import CliRunner

    from upscale2x.cli import app

    src = write_image(tmp_path / "in.png", np.full((8, 8, 3), 0.5, np.float32))
    (tmp_path / "out.png").mkdir()
    r = CliRunner().invoke(app, ["render", str(src), "-o", str(tmp_path / "out.png"), "--overwrite", "--quiet"])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
    assert "out.png: is a folder, not an image file name" in r.output
    assert _leftovers(tmp_path) == [] and list((tmp_path / "out.png").iterdir()) == []


def test_a_checkpoint_left_unnamed_by_a_kill_does_not_block_the_next_save(tmp_path):
    from upscale2x.model._tf import tf
    from upscale2x.train.checkpoints import CheckpointStore

    v = tf.Variable(1.0)
    store = CheckpointStore(tmp_path / "ckpt", tf.train.Checkpoint(v=v))
    store.save({"epoch": 1})
    orphan = tmp_path / "ckpt" / "ckpt-000002"  # published, then killed before latest.json named it
    orphan.mkdir()
    (orphan / "state.index").write_bytes(b"old")  # not empty: a rename onto it fails
    (tmp_path / "ckpt" / ".ckpt-000002.x1y2.part").mkdir()  # killed while writing
    v.assign(2.0)
    store.save({"epoch": 2})
    v.assign(0.0)
    assert store.restore()["epoch"] == 2 and float(v.numpy()) == 2.0
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == ["ckpt-000001", "ckpt-000002", "latest.json"]
