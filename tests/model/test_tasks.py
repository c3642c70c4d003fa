"""The task registry carries every task difference; its transform names are checked against preprocess."""

import pytest

from upscale2x.model.tasks import TASKS, TaskSpec


def test_every_task_names_only_transforms_preprocess_has():
    from upscale2x.model import preprocess

    preprocess.check_transforms(TASKS)
    bad = {"x": TaskSpec(name="x", scale=1, in_cell=256, in_channels=1, out_channels=3, summary="", train_input="blur")}
    with pytest.raises(ImportError, match="names transforms preprocess does not have: blur"):
        preprocess.check_transforms(bad)


def test_layouts_and_training_inputs_agree():
    assert {n: (s.layout, s.train_input, s.train_jitter) for n, s in TASKS.items()} == {
        "sr8x": ("target", "sr8x_degrade", ""),
        "see": ("target", "see_abstract", "see_jitter"),
        "paired": ("pairs", "", ""),
    }
    with pytest.raises(ValueError, match="layout 'target' with train_input ''"):
        TaskSpec(name="x", scale=1, in_cell=256, in_channels=3, out_channels=3, summary="")
    with pytest.raises(ValueError, match="layout 'pairs' with train_input 'sr8x_degrade'"):
        TaskSpec(
            name="x",
            scale=1,
            in_cell=256,
            in_channels=3,
            out_channels=3,
            summary="",
            layout="pairs",
            train_input="sr8x_degrade",
        )
