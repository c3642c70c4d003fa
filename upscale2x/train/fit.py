"""The resumable training loop: data per epoch, steps under a tf.distribute strategy, checkpoints, the bundle.

One run lives in one folder: ``train_config.json``, ``checkpoints/``, ``previews/``, ``logs/`` (TensorBoard),
and at the end the bundle itself (``model.keras`` + ``card.json``), so ``upscale2x render --model DIR`` works.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import TrainError
from ..model._tf import keras, tf
from ..model.bundle import Bundle, Card, save_bundle
from ..model.nets import patch_discriminator, unet_generator
from ..model.tasks import TASKS
from .checkpoints import CheckpointStore
from .cluster import SignalKeeper, await_peers, cluster_from_env, lost_peer
from .config import TrainConfig
from .data import DataSpec, epoch_repeats, load_folder, split
from .evaluate import evaluate
from .gan import GanRecipe, Pix2Pix
from .pairs import make_pair
from .previews import Logs, strip, write_preview
from .runlock import run_lock

SOURCE_RECORD = "init_from.json"  # the --init-from bundle's training record, kept in the run folder
# Where a run's weights were trained when that was not this process (models/train_jax.py's GPU runs, imported)
HARDWARE_RECORD = "trained_on.txt"
SEED_STRIDE = 1 << 32  # per-example seeds: (run seed, epoch * stride + position in the epoch)


# the counters a checkpoint keeps beside the weights (checkpoints/latest.json)
SAVED_STATE = ("epoch", "step", "global_step", "train_seconds", "history", "loss_sums", "loss_steps")


@dataclass
class Status:
    """What the loop reports after every step (for progress bars)."""

    epoch: int  # 0-based epoch in progress
    epochs: int
    step: int  # steps done in this epoch
    steps: int  # steps per epoch
    losses: dict[str, float] = field(default_factory=dict)
    images_per_s: float = 0.0
    message: str = ""  # set on epoch ends: held-out L1, preview written


def _strategy(name: str):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def epoch_indices(images, indices, cfg: TrainConfig) -> np.ndarray:
    """The image indices one epoch draws (before shuffling): each training image, repeated by its weight."""
    return np.repeat(indices, epoch_repeats([images[i] for i in indices], cfg.native))


def epoch_dataset(images, indices, cfg: TrainConfig, epoch: int, global_batch: int, skip_steps: int):
    """Batches of (input, target) for one epoch, starting after ``skip_steps`` steps (for resumption).

    ``indices`` is :func:`epoch_indices`' list: an image may appear more than once.
    """
    order = np.random.default_rng([cfg.seed, epoch]).permutation(indices)
    n = len(order) // global_batch * global_batch
    start = skip_steps * global_batch
    channels = images[0].shape[2]

    def gen():
        for pos in range(start, n):
            yield images[order[pos]], np.int64(epoch * SEED_STRIDE + pos)

    sig = (tf.TensorSpec([None, None, channels], tf.uint8), tf.TensorSpec([], tf.int64))
    ds = tf.data.Dataset.from_generator(gen, output_signature=sig)
    ds = ds.map(
        lambda img, pos: make_pair(
            img,
            tf.stack([tf.constant(cfg.seed, tf.int64), pos]),
            cfg.task,
            True,
            cfg.flip_vertical,
            cfg.scale_range,
            cfg.dream,
            cfg.degrade,
        ),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    return ds.batch(global_batch, drop_remainder=True).prefetch(2)


def run_images(cfg: TrainConfig, on_skip: Callable[[Path, str], None] | None = None):
    """The run's images and its seeded split: (images, training indices, held-out indices)."""
    spec = DataSpec(cfg.task, cfg.input_side, cfg.val_fraction, cfg.flip_vertical, cfg.native)
    images = load_folder(cfg.data, spec, on_skip)[: cfg.max_images]
    return (images, *split(len(images), cfg.val_fraction, cfg.seed))


def held_out_pairs(images, indices, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic (centre crop, no jitter) inputs and targets of the held-out images."""
    pairs = [make_pair(images[i], tf.constant([cfg.seed, i], tf.int64), cfg.task, False) for i in indices]
    return np.stack([p[0].numpy() for p in pairs]), np.stack([p[1].numpy() for p in pairs])


def _generator(cfg: TrainConfig, precision: str):
    spec = TASKS[cfg.task]
    return unet_generator(
        base_width=cfg.width,
        max_width=cfg.cap,
        in_channels=spec.in_channels,
        out_channels=spec.out_channels,
        zero_output=spec.residual,
        upsample=cfg.upsample,
        dropout=cfg.dropout,
        res_blocks=cfg.res_blocks,
        lattice_free=cfg.lattice_free,
        lattice_free_window=cfg.lattice_free_window,
        precision=precision,
        padding=cfg.padding,
        block_width=cfg.block_width,
        attention=cfg.attention,
    )


def _build(cfg: TrainConfig, global_batch: int):
    spec = TASKS[cfg.task]
    keras.utils.set_random_seed(cfg.seed)
    g = _generator(cfg, cfg.precision)
    if cfg.init_from:
        _init_generator(g, cfg)
    d = patch_discriminator(
        cfg.ndf,
        in_channels=spec.in_channels,
        out_channels=spec.out_channels,
        spectral_norm=cfg.spectral_norm,
        precision=cfg.precision,
        scales=cfg.disc_scales,
    )
    recipe = GanRecipe(
        cfg.gan_loss, cfg.feature_matching, cfg.r1, cfg.lattice, cfg.texture, cfg.pixel_loss, cfg.lattice_window
    )
    model = Pix2Pix(g, d, spec, cfg.l1_weight, global_batch, cfg.gan_weight, recipe)
    g_opt = keras.optimizers.Adam(cfg.lr, beta_1=0.5)
    d_opt = keras.optimizers.Adam(cfg.disc_lr, beta_1=0.5)
    g_opt.build(g.trainable_variables)  # optimizer slots exist before a restore fills them
    d_opt.build(d.trainable_variables)
    model.compile(g_opt, d_opt)
    return model


def checkpoint_of(model: Pix2Pix):
    """What a run's checkpoint holds: both networks, both optimizers and the dropout seed generators' state."""
    # Keras layers do not hand their dropout SeedGenerator state to tf.train.Checkpoint; track it explicitly so a
    # resumed run draws the same dropout masks as an uninterrupted one.
    rng = [v for v in model.generator.variables + model.discriminator.variables if "seed_generator" in v.path]
    return tf.train.Checkpoint(
        generator=model.generator,
        discriminator=model.discriminator,
        g_optimizer=model.g_optimizer,
        d_optimizer=model.d_optimizer,
        rng={f"state{i}": v for i, v in enumerate(rng)},
    )


def _float32_view(cfg: TrainConfig, model: Pix2Pix) -> Callable[[], Pix2Pix]:
    """What evaluation and the bundle use: ``model`` itself, or (bf16 training) a float32 twin of its generator
    with its current weights, so held-out metrics are those of the float32 bundle that is saved."""
    if cfg.precision == "float32":
        return lambda: model
    twin = Pix2Pix(_generator(cfg, "float32"), model.discriminator, TASKS[cfg.task])

    def view() -> Pix2Pix:
        twin.generator.set_weights(model.generator.get_weights())
        return twin

    return view


def _init_generator(g, cfg: TrainConfig) -> None:
    """Copy the weights of bundle ``cfg.init_from`` into ``g``, layer by layer; TrainError unless they fit.

    Task and widths must match and every source layer must exist in ``g`` with the same weight shapes (nearest and
    bilinear resize-conv decoders share theirs, so one can start the other). ``g`` may have more residual blocks
    than the source, wider blocks (``block_width``) or channel attention: those start as the identity
    (nets.unet_generator; a widened convolution through ``_embed``), so the grown network computes what the source
    computed.
    """
    from ..errors import ModelError
    from ..model.bundle import load_bundle, resolve_bundle
    from ..model.nets import RES_BLOCK_PREFIX

    try:
        source = load_bundle(resolve_bundle(cfg.init_from))
    except ModelError as e:
        raise TrainError(f"--init-from: {e}") from None
    c = source.card
    mine = {layer.name: layer for layer in g.layers if layer.weights}
    theirs = {layer.name: layer for layer in source.model.layers if layer.weights}

    def fits(name: str) -> bool:
        a, b = mine.get(name), theirs[name]
        return a is not None and [tuple(w.shape) for w in a.weights] == [tuple(w.shape) for w in b.weights]

    def widens(name: str) -> bool:  # a residual block's convolution, as wide or wider in g (--block-width)
        a, b = mine.get(name), theirs[name]
        return (
            a is not None
            and name.startswith(RES_BLOCK_PREFIX)
            and len(a.weights) == len(b.weights)
            and all(
                len(x.shape) == len(y.shape) and all(m >= n for m, n in zip(x.shape, y.shape, strict=True))
                for x, y in zip(a.weights, b.weights, strict=True)
            )
        )

    grown = set(mine) - set(theirs)
    if (
        (c.task, c.base_width, c.max_width) != (cfg.task, cfg.width, cfg.cap)
        or not all(fits(name) or widens(name) for name in theirs)  # a block the source has and g lacks fails too
        or any(not name.startswith(RES_BLOCK_PREFIX) for name in grown)
    ):
        raise TrainError(
            f"--init-from {cfg.init_from}: a {c.task} model of width {c.base_width}/{c.max_width} ({c.upsample}, "
            f"{_blocks(c.res_blocks, c.block_width, c.attention)}) cannot start a {cfg.task} model of width "
            f"{cfg.width}/{cfg.cap} ({cfg.upsample}, {_blocks(cfg.res_blocks, cfg.block_width, cfg.attention)})"
        )
    for name, layer in theirs.items():
        mine[name].set_weights(
            [_embed(a, b) for a, b in zip(mine[name].get_weights(), layer.get_weights(), strict=True)]
        )


def _embed(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """``theirs`` in the leading corner of ``mine`` (same shape: ``theirs``); inputs that ``theirs`` lacks weigh 0.

    A wider first convolution of a residual block keeps its new filters as initialised; the second convolution's
    weights on those new channels are zero, so the widened block computes exactly what the source block did.
    """
    if mine.shape == theirs.shape:
        return theirs
    out = mine.copy()
    if out.ndim == 4:  # a convolution kernel [kh, kw, in, out]: new input channels contribute nothing
        out[:, :, theirs.shape[2] :, :] = 0
    out[tuple(slice(0, n) for n in theirs.shape)] = theirs
    return out


def _blocks(n: int, width: int, attention: bool) -> str:
    """The residual blocks in words, for messages."""
    return (
        f"{n} residual blocks"
        + (f" of inner width {width}" if width else "")
        + (" with channel attention" if attention else "")
    )


def _prepare_run(cfg: TrainConfig, resume: bool, export: bool) -> Path:
    out = Path(cfg.out)
    settings = out / "train_config.json"
    if export:
        if not (out / "checkpoints" / "latest.json").is_file():
            raise TrainError(f"{out}: no checkpoint to export")
        return out
    if resume:
        if not settings.is_file():
            raise TrainError(f"{out}: nothing to resume (no train_config.json)")
        cfg.check_resumes(TrainConfig.load(settings), out)
    elif (out / "checkpoints" / "latest.json").exists():
        raise TrainError(f"{out}: already holds a training run; use --resume to continue it, or another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)  # `--out runs/x` works before runs/ exists
    except OSError as e:
        raise TrainError(f"{out}: cannot create the run folder ({e.strerror})") from None
    return out  # the settings are saved by train() once the run has started: a failed start leaves nothing


@contextmanager
def _start_run(out: Path, made: bool):
    """Around a run's start (data, nets): on a failure, the run folder goes again if this run ``made`` it."""
    try:
        yield
    except BaseException:
        if made:
            shutil.rmtree(out, ignore_errors=True)
        raise


def train(
    cfg: TrainConfig,
    resume: bool = False,
    on_status: Callable[[Status], None] | None = None,
    on_skip: Callable[[Path, str], None] | None = None,
    export_to: Path | None = None,
    on_abort: Callable[[str | None], None] | None = None,
) -> Path:
    """Train (or resume) the run ``cfg`` describes; returns the folder holding the finished bundle.

    With ``export_to``, train nothing: write the bundle of the run's latest checkpoint (evaluated on the
    held-out images) to that folder, while the run itself may go on in another process.
    Raises DatasetError for bad data and TrainError for bad settings, a run that exists (without ``resume``),
    one that cannot be resumed, or one another process is training (runlock); a multiworker run also for a peer
    lost mid-run.
    A multiworker worker stuck in TensorFlow a few seconds after SIGTERM/SIGINT cannot raise: it calls
    ``on_abort(None)`` and ends the process (cluster.SignalKeeper).
    """
    cluster = cluster_from_env() if cfg.distribute == "multiworker" else None
    existed = Path(cfg.out).exists()
    out = _prepare_run(cfg, resume, export_to is not None)
    if export_to is not None and (out / "train_config.json").is_file():
        cfg = TrainConfig.load(out / "train_config.json")  # the run's own settings: no flag needs repeating
    if export_to is not None:
        return _train(cfg, out, resume, existed, on_status, on_skip, export_to, None)
    with run_lock(out):
        if cluster is None:
            return _train(cfg, out, resume, existed, on_status, on_skip, export_to, None)

        def tidy() -> None:  # a run that never reached its first checkpoint leaves nothing
            if not resume and not existed and not (out / "checkpoints" / "latest.json").exists():
                shutil.rmtree(out, ignore_errors=True)

        with SignalKeeper(tidy, on_abort or (lambda why: None)):
            return _train(cfg, out, resume, existed, on_status, on_skip, export_to, cluster)


def _train(cfg, out, resume, existed, on_status, on_skip, export_to, multiworker) -> Path:
    fresh = not resume and export_to is None
    resume = resume or export_to is not None
    report = on_status or (lambda s: None)
    with _start_run(out, fresh and not existed):
        images, train_idx, val_idx = run_images(cfg, on_skip)
        drawn = epoch_indices(images, train_idx, cfg)
        if multiworker:
            await_peers(multiworker, cfg.peer_timeout)  # in Python: interruptible, and it names who did not come
        strategy = _strategy(cfg.distribute)
        global_batch = cfg.batch * strategy.num_replicas_in_sync
        steps = len(drawn) // global_batch
        if steps == 0:
            raise TrainError(f"{cfg.data}: {len(train_idx)} training images cannot fill one batch of {global_batch}")
        with strategy.scope():
            model = _build(cfg, global_batch)
        if export_to is None:  # a new run's settings, or a resumed run's changed ones (lr, loss weights)
            cfg.save(out / "train_config.json")
        if fresh and cfg.init_from:
            _record_source(cfg, out)
    ckpt = checkpoint_of(model)
    chief = multiworker is None or multiworker.chief
    # Every worker checkpoints into its own --out (a resume restores each from its own); the chief alone writes
    # the bundle, the logs and the previews.
    store = CheckpointStore(out / "checkpoints", ckpt)
    # loss_sums / loss_steps: this epoch's per-step losses summed so far, and over how many steps (saved with
    # mid-epoch checkpoints): the history records each epoch's mean loss, not its last step's
    state = {
        "epoch": 0,
        "step": 0,
        "global_step": 0,
        "train_seconds": 0.0,
        "history": [],
        "loss_sums": {},
        "loss_steps": 0,
    }
    if resume:
        state.update(store.restore())
        if multiworker is not None:
            _check_same_step(strategy, state["global_step"], store)
        # The checkpoint holds the old rates; --lr and --d-lr may change them.
        model.g_optimizer.learning_rate = cfg.lr
        model.d_optimizer.learning_rate = cfg.disc_lr
    val_x, val_y = held_out_pairs(images, val_idx, cfg)
    inference = _float32_view(cfg, model)
    logs = Logs(out / "logs") if chief and export_to is None else None

    @tf.function
    def step_fn(batch):
        per_replica = strategy.run(model.train_step, args=(batch,))
        return {k: strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for k, v in per_replica.items()}

    def save():
        store.save({k: state[k] for k in SAVED_STATE})

    with _lost_peers_named(multiworker, state, store):
        while state["epoch"] < cfg.epochs and export_to is None:
            epoch = state["epoch"]
            ds = strategy.experimental_distribute_dataset(
                epoch_dataset(images, drawn, cfg, epoch, global_batch, state["step"])
            )
            t0, done_here = time.perf_counter(), 0
            for batch in ds:
                losses = {k: float(v) for k, v in step_fn(batch).items()}
                sums = state["loss_sums"]
                state["loss_sums"] = {k: sums.get(k, 0.0) + v for k, v in losses.items()}
                state["loss_steps"] += 1
                state["step"] += 1
                state["global_step"] += 1
                done_here += 1
                elapsed = time.perf_counter() - t0
                report(Status(epoch, cfg.epochs, state["step"], steps, losses, done_here * global_batch / elapsed))
                if logs and state["global_step"] % 10 == 0:
                    logs.scalars(state["global_step"], losses)
                if state["step"] % cfg.checkpoint_steps == 0 and state["step"] < steps:
                    state["train_seconds"] += time.perf_counter() - t0
                    t0, done_here = time.perf_counter(), 0
                    save()
            state["train_seconds"] += time.perf_counter() - t0
            result = evaluate(inference(), val_x, val_y, cfg.task)
            means = {k: v / state["loss_steps"] for k, v in state["loss_sums"].items()}
            state["history"].append({"epoch": epoch + 1, **means, "val_l1": result.metrics["l1"]})
            state["epoch"], state["step"], state["loss_sums"], state["loss_steps"] = epoch + 1, 0, {}, 0
            message = f"epoch {epoch + 1}: held-out L1 {result.metrics['l1']:.4f}"
            if logs:
                preview = strip(val_x[:4], result.outputs[:4], val_y[:4])
                write_preview(out / "previews", epoch + 1, preview)
                logs.scalars(state["global_step"], {"val_l1": result.metrics["l1"]})
                logs.image(state["global_step"], "input|output|target", preview)
            save()
            report(Status(epoch, cfg.epochs, steps, steps, losses, 0.0, message))
    final = inference()
    metrics = evaluate(final, val_x, val_y, cfg.task).metrics
    counts = {"images": len(images), "train_images": len(train_idx), "held_out": len(val_idx)}
    card = _card(cfg, out.name, counts, state, global_batch, strategy.num_replicas_in_sync, metrics)
    dest = Path(export_to) if export_to is not None else out
    if chief:
        save_bundle(Bundle(final.generator, card), dest)
    return dest


def _check_same_step(strategy, step: int, store: CheckpointStore) -> None:
    """Every worker resumes from the same step, or none does (their data shards and collectives would part)."""

    @tf.function
    def means(v):  # the workers' mean step and mean squared step: their variance is 0 when they agree
        per_replica = strategy.run(lambda: tf.stack([v, v * v]))
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None)

    mean, mean_square = (float(m) for m in means(tf.constant(float(step), tf.float64)).numpy())
    if mean_square - mean**2 > 0.25:
        raise TrainError(
            f"{store.folder}: this worker's checkpoint is at step {step}, the workers' mean at {mean:g} (one was "
            "killed while saving); copy the chief's checkpoints/ into every worker's --out and resume again"
        )


@contextmanager
def _lost_peers_named(multiworker, state: dict, store: CheckpointStore):
    """Under a multiworker strategy, a peer lost mid-run (a collective or the data iterator failing) becomes one
    TrainError naming it, the step, and the checkpoint that ``--resume`` continues from."""
    if multiworker is None:
        yield
        return
    try:
        yield
    except tf.errors.OpError as e:
        saved = (store.latest() or {}).get("global_step")
        where = f"checkpoint at step {saved}" if saved is not None else "no checkpoint yet"
        raise TrainError(
            f"{lost_peer(e, multiworker)} lost at step {state['global_step'] + 1}; {where}; "
            "run the same command with --resume on every worker"
        ) from None


def _card(cfg: TrainConfig, name: str, counts: dict, state: dict, global_batch: int, replicas: int, metrics: dict):
    """The bundle's card: what was trained, on what, for how long, and how it scores on the held-out images."""
    return Card(
        task=cfg.task,
        base_width=cfg.width,
        preset=cfg.preset,
        max_width=cfg.cap,
        upsample=cfg.upsample,
        res_blocks=cfg.res_blocks,
        block_width=cfg.block_width,
        attention=cfg.attention,
        lattice_free=cfg.lattice_free,
        lattice_free_window=cfg.lattice_free_window,
        padding=cfg.padding,
        name=name,
        description=f"{cfg.task} model trained with upscale2x train on {Path(cfg.data).name}",
        training={
            "data": str(cfg.data),
            **counts,
            "epochs": state["epoch"],
            "steps": state["global_step"],
            "batch": cfg.batch,
            "global_batch": global_batch,
            "lr": cfg.lr,
            "l1_weight": cfg.l1_weight,
            "gan_weight": cfg.gan_weight,
            "ndf": cfg.ndf,
            "disc_scales": cfg.disc_scales,
            "gan_loss": cfg.gan_loss,
            "feature_matching": cfg.feature_matching,
            "r1": cfg.r1,
            "lattice": cfg.lattice,
            "lattice_window": cfg.lattice_window,
            "texture": cfg.texture,
            "pixel_loss": cfg.pixel_loss,
            "res_blocks": cfg.res_blocks,
            "block_width": cfg.block_width,
            "attention": cfg.attention,
            "lattice_free": cfg.lattice_free,
            "lattice_free_window": cfg.lattice_free_window,
            "padding": cfg.padding,
            "precision": cfg.precision,
            "spectral_norm": cfg.spectral_norm,
            "d_lr": cfg.disc_lr,
            "dropout": cfg.dropout,
            "scale_range": list(cfg.scale_range) if cfg.scale_range else None,
            "dream": list(cfg.dream) if cfg.dream else None,
            "degrade": cfg.degrade,
            "seed": cfg.seed,
            "distribute": cfg.distribute,
            "replicas": replicas,
            "train_seconds": round(state["train_seconds"], 1),
            "hardware": _hardware(Path(cfg.out)),
            **_source_training(Path(cfg.out)),
        },
        metrics={"held_out": counts["held_out"], **metrics},
    )


def _record_source(cfg: TrainConfig, out: Path) -> None:
    """Keep the training record of the --init-from bundle, as it was when the run started, for the run's cards."""
    from ..errors import ModelError
    from ..model.bundle import read_card, resolve_bundle

    try:
        record = {"bundle": str(cfg.init_from), **read_card(resolve_bundle(cfg.init_from)).training}
    except ModelError as e:
        raise TrainError(f"--init-from: {e}") from None
    (out / SOURCE_RECORD).write_text(json.dumps(record, indent=2) + "\n")


def _source_training(out: Path) -> dict:
    """``{"init_from": record}`` for a run started from a bundle (records nest when that one was fine-tuned)."""
    path = out / SOURCE_RECORD
    return {"init_from": json.loads(path.read_text())} if path.is_file() else {}


def precision_note(cfg: TrainConfig) -> str | None:
    """A line for the user when ``cfg`` asks for bf16 on a CPU that emulates it (no GPU, no AVX-512 BF16 or AMX)."""
    from ..model.nets import cpu_bf16_native

    if cfg.precision != "bf16" or cfg.distribute != "none" or tf.config.list_physical_devices("GPU"):
        return None
    if cpu_bf16_native() is not False:
        return None
    return (
        "--precision bf16: this CPU has no AVX-512 BF16 or AMX, so TensorFlow emulates bfloat16 and trains several "
        "times slower than float32 (use --precision float32 here)"
    )


def _hardware(out: Path) -> str:
    """What trained the run: the run's own record (an imported run) or this machine."""
    record = out / HARDWARE_RECORD
    if record.is_file():
        return record.read_text().strip()
    gpus = tf.config.list_physical_devices("GPU")
    return f"{len(gpus)} GPU(s)" if gpus else f"CPU ({os.cpu_count()} cores, {platform.machine()})"
