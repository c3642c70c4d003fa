"""Train a Learning-to-See generator on a GPU under JAX (Keras 3's JAX backend), and bring it home as a run.

TensorFlow's wheel is too big to carry to the lent GPU machine, but the generator and discriminator builders
(upscale2x/model/nets.py) are plain Keras 3, so the same networks train there under JAX. Three steps:

    # here: the training images (the run's own held-out split left out) and the exact input operators
    python models/train_jax.py pack /work/data/flowers --out .gpu/flowers.npz
    # on the GPU machine (needs jax, optax, keras; no TensorFlow): weights saved every minute and at the end
    python models/train_jax.py train .gpu/flowers.npz --out $OUT/flowers --seconds 240
    # here: a TensorFlow run folder holding those weights, then the usual bundle (held-out metrics and card)
    python models/train_jax.py import DIR --run runs/see-flowers-gpu --data /work/data/flowers
    upscale2x train --out runs/see-flowers-gpu --export runs/see-flowers-gpu/bundle

The recipe is `upscale2x train`'s (gan.py): least-squares GAN over a multi-scale spectral-norm PatchGAN, L1 and
the detail-energy term, Adam(beta_1 0.5), batch statistics in the generator. The see input is made on the GPU
by the exact linear operators TensorFlow's area-down and bicubic-up apply to a 256 crop (measured here, packed),
so the model sees what `render` will feed it. Differences from the TensorFlow trainer, by design: crops at four
fixed scales (100/109/120/130 % of 256 on the shorter side) instead of a continuous draw, a larger batch, and
spectral normalisation applied in the forward pass (Miyato's form) rather than written into the kernel.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CROP = 256
SCALES = (256, 280, 306, 333)  # shorter side of the stored images: 100-130 % of the crop, as the TF trainer

RECIPE = {  # see-faces' recipe (models/TRAINING.md)
    "preset": "small",
    "upsample": "bilinear",
    "padding": "reflect",
    "lattice_free": True,
    "dropout": True,
    "ndf": 32,
    "disc_scales": 3,
    "spectral_norm": True,
    "gan_loss": "lsgan",
    "l1_weight": 10.0,
    "texture": 5.0,
    "lr": 2e-4,
    "batch": 16,
}


# ----------------------------------------------------------------------------------------------------- pack (here)
def _operators():
    """(A, C): TensorFlow's area-down of a 256 side to round(256/24) and its bicubic-up back, as matrices.

    Both resizes are separable and linear, so ``C @ (A @ g @ A.T) @ C.T`` is exactly ``see_abstract``'s output
    (before its clip) for a 256x256 luma ``g``; measured by resizing the unit vectors.
    """
    sys.path.insert(0, str(ROOT))
    from upscale2x.model import preprocess
    from upscale2x.model._tf import tf

    small = int(round(CROP / preprocess.SEE_FACTOR))
    eye = tf.eye(CROP)[:, :, None]  # 256 images of 256x1: the unit columns
    a = tf.image.resize(tf.reshape(eye, [CROP, CROP, 1, 1]), [small, 1], method="area")[:, :, 0, 0].numpy()
    eye_s = tf.reshape(tf.eye(small), [small, small, 1, 1])
    c = tf.image.resize(eye_s, [CROP, 1], method="bicubic")[:, :, 0, 0].numpy()
    a, c = a.T.astype(np.float32), c.T.astype(np.float32)  # [small, 256], [256, small]
    g = np.random.default_rng(0).random((CROP, CROP, 1), np.float32)
    want = tf.image.resize(tf.image.resize(g, [small, small], method="area"), [CROP, CROP], method="bicubic").numpy()
    got = c @ (a @ g[..., 0] @ a.T) @ c.T
    err = float(np.abs(got - want[..., 0]).max())
    if err > 1e-4:
        raise SystemExit(f"the packed operators differ from TensorFlow's resize by {err}")
    return a, c


def pack(args) -> None:
    sys.path.insert(0, str(ROOT))
    from PIL import Image

    from upscale2x.train.data import DataSpec, load_folder, split

    images = load_folder(args.data, DataSpec("see", val_fraction=args.val_fraction))
    train_idx, val_idx = split(len(images), args.val_fraction, args.seed)
    blobs = []
    for i in train_idx:
        img = Image.fromarray(images[i])  # load_folder shrank it to at most SCALES[-1] on the shorter side; smaller
        # images (portraits) travel at their own size and are enlarged there, as the TensorFlow trainer enlarges
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=args.quality, subsampling=0)
        blobs.append(np.frombuffer(buf.getvalue(), np.uint8))
    a, c = _operators()
    meta = {
        "data": str(args.data),
        "images": len(images),
        "train_images": len(train_idx),
        "held_out": len(val_idx),
        "val_fraction": args.val_fraction,
        "seed": args.seed,
    }
    np.savez(
        args.out,
        jpeg=np.concatenate(blobs),
        offsets=np.cumsum([0] + [len(b) for b in blobs]),
        area=a,
        cubic=c,
        meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
    )
    mb = Path(args.out).stat().st_size / 1e6
    print(f"{args.out}: {len(blobs)} training images ({len(val_idx)} held out), {mb:.1f} MB")


# --------------------------------------------------------------------------------------------- train (the GPU)
def _jax_keras():
    """Keras on JAX, and upscale2x's network builders with a stand-in for its TensorFlow import."""
    import types

    os.environ["KERAS_BACKEND"] = "jax"
    import keras

    if keras.backend.backend() != "jax":
        raise SystemExit(f"keras runs on {keras.backend.backend()}, not jax (import keras after setting it)")
    stub = types.ModuleType("upscale2x.model._tf")
    stub.keras, stub.tf = keras, None
    sys.modules["upscale2x.model._tf"] = stub
    sys.path.insert(0, str(ROOT))
    return keras


class Batches:
    """Random 256 crops (at one of ``SCALES``, flipped at random) of the packed images, made ahead in a thread."""

    def __init__(self, pack_path: str, batch: int, seed: int):
        from PIL import Image

        z = np.load(pack_path)
        jpeg, offs = z["jpeg"], z["offsets"]
        self.bank = []
        for k in range(len(offs) - 1):
            img = Image.open(io.BytesIO(jpeg[offs[k] : offs[k + 1]].tobytes())).convert("RGB")
            per_scale = []
            for side in SCALES:
                f = side / min(img.size)
                size = (max(side, round(img.width * f)), max(side, round(img.height * f)))
                per_scale.append(np.asarray(img.resize(size, Image.BILINEAR, reducing_gap=None)))
            self.bank.append(per_scale)
        self.batch, self.rng = batch, np.random.default_rng(seed)
        self.ready: list[np.ndarray] = []
        self.cv = threading.Condition()
        threading.Thread(target=self._fill, daemon=True).start()

    def _one(self) -> np.ndarray:
        r = self.rng
        img = self.bank[r.integers(len(self.bank))][r.integers(len(SCALES))]
        y, x = r.integers(img.shape[0] - CROP + 1), r.integers(img.shape[1] - CROP + 1)
        crop = img[y : y + CROP, x : x + CROP]
        return crop[:, ::-1] if r.random() < 0.5 else crop

    def _fill(self) -> None:
        while True:
            b = np.stack([self._one() for _ in range(self.batch)])
            with self.cv:
                while len(self.ready) >= 8:
                    self.cv.wait()
                self.ready.append(b)
                self.cv.notify_all()

    def next(self) -> np.ndarray:
        with self.cv:
            while not self.ready:
                self.cv.wait()
            b = self.ready.pop(0)
            self.cv.notify_all()
            return b


PROBE_IN, PROBE_OUT = "probe:input", "probe:output"  # not variable paths (those hold no colon)


def _save(model, path: Path, extra: dict | None = None, max_bytes: int = 15_000_000) -> list[str]:
    """The model's variables by path (and ``extra`` arrays), as float32 .npz parts of at most ``max_bytes`` (files
    come back from the GPU machine if <= 16 MiB)."""
    parts, cur, size = [], {}, 0
    arrays = [(v.path, np.asarray(v.value)) for v in model.variables] + list((extra or {}).items())
    for name, a in arrays:
        if cur and size + a.nbytes > max_bytes:
            parts.append(cur)
            cur, size = {}, 0
        cur[name] = a
        size += a.nbytes
    parts.append(cur)
    names = []
    for i, p in enumerate(parts):
        name = f"{path.name}.{i}.npz"
        tmp = path.parent / (name + ".tmp.npz")
        np.savez(tmp, **p)
        os.replace(tmp, path.parent / name)
        names.append(name)
    return names


def train(args) -> None:
    keras = _jax_keras()
    import jax
    import jax.numpy as jnp
    import optax

    from upscale2x.colour import LUMA
    from upscale2x.model import preprocess
    from upscale2x.model.nets import patch_discriminator, unet_generator

    r = {**RECIPE, **{k: v for k, v in vars(args).items() if k in RECIPE and v is not None}}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)

    def generator(precision: str):
        return unet_generator(
            r["preset"],
            base_width=r.get("base_width"),
            max_width=r.get("max_width"),
            in_channels=1,
            out_channels=3,
            upsample=r["upsample"],
            dropout=r["dropout"],
            lattice_free=r["lattice_free"],
            precision=precision,
            padding=r["padding"],
        )

    g = generator(args.precision)
    d = patch_discriminator(
        r["ndf"],
        in_channels=1,
        out_channels=3,
        spectral_norm=r["spectral_norm"],
        precision=args.precision,
        scales=r["disc_scales"],
    )
    if args.init:  # continue from a generator this script saved (the discriminator starts afresh)
        _assign(g, _generator_parts(Path(args.init))[0], f"--init {args.init}")
    z = np.load(args.pack)
    area, cubic = jnp.asarray(z["area"]), jnp.asarray(z["cubic"])
    luma = jnp.asarray(np.asarray(LUMA, np.float32))
    opt_g = optax.adam(r["lr"], b1=0.5, b2=0.999, eps=1e-7)
    opt_d = optax.adam(r["lr"], b1=0.5, b2=0.999, eps=1e-7)
    g_tv = [v.value for v in g.trainable_variables]
    g_nt = [v.value for v in g.non_trainable_variables]
    d_tv = [v.value for v in d.trainable_variables]
    d_nt = [v.value for v in d.non_trainable_variables]
    og, od = opt_g.init(g_tv), opt_d.init(d_tv)
    lap = np.asarray([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], np.float32)  # gan._LAPLACIAN

    def as_list(x):
        return x if isinstance(x, list | tuple) else [x]

    def energy(img):  # gan.detail_energy: mean |Laplacian| of the luma over each 8x8 block
        y = img @ luma
        lp = jnp.abs(
            sum(lap[i, j] * y[:, i : i + CROP - 2, j : j + CROP - 2] for i in range(3) for j in range(3) if lap[i, j])
        )
        n = (CROP - 2) // 8 * 8
        return lp[:, :n, :n].reshape(-1, n // 8, 8, n // 8, 8).mean(axis=(2, 4))

    def see_input(real01, key):  # preprocess.see_abstract + see_jitter, exactly as tf.data makes it
        y = real01 @ luma
        small = jnp.einsum("ij,bjk,lk->bil", area, y, area)
        up = jnp.clip(jnp.einsum("ij,bjk,lk->bil", cubic, small, cubic), 0.0, 1.0)
        kb, kc = jax.random.split(key)
        bright, contrast = preprocess.SEE_BRIGHTNESS, preprocess.SEE_CONTRAST
        b = jax.random.uniform(kb, (up.shape[0], 1, 1), minval=1.0 - bright, maxval=1.0 + bright)
        c = jax.random.uniform(kc, (up.shape[0], 1, 1), minval=1.0 - contrast, maxval=1.0 + contrast)
        x = up * b
        m = x.mean(axis=(1, 2), keepdims=True)
        return jnp.clip((x - m) * c + m, 0.0, 1.0)[..., None]

    @jax.jit
    def step(g_tv, g_nt, d_tv, d_nt, og, od, batch_u8, key):
        real01 = batch_u8.astype(jnp.float32) / 255.0
        gen_in, real = see_input(real01, key) * 2.0 - 1.0, real01 * 2.0 - 1.0

        def g_loss(g_tv):
            fake, g_nt2 = g.stateless_call(g_tv, g_nt, gen_in, training=True)
            logits, _ = d.stateless_call(d_tv, d_nt, [gen_in, fake], training=True)
            adv = sum(jnp.mean(jnp.square(lg.astype(jnp.float32) - 1.0)) for lg in as_list(logits))
            adv = adv / len(as_list(logits))
            l1 = jnp.mean(jnp.abs(real - fake))
            tex = jnp.mean(jnp.abs(energy(fake) - energy(real)))
            return adv + r["l1_weight"] * l1 + r["texture"] * tex, (fake, g_nt2, adv, l1, tex)

        (_, (fake, g_nt2, adv, l1, tex)), gg = jax.value_and_grad(g_loss, has_aux=True)(g_tv)
        fake = jax.lax.stop_gradient(fake)

        def d_loss(d_tv):
            lr_, nt1 = d.stateless_call(d_tv, d_nt, [gen_in, real], training=True)
            lf_, nt2 = d.stateless_call(d_tv, nt1, [gen_in, fake], training=True)
            pairs = list(zip(as_list(lr_), as_list(lf_), strict=True))
            loss = sum(
                jnp.mean(jnp.square(a.astype(jnp.float32) - 1.0)) + jnp.mean(jnp.square(b.astype(jnp.float32)))
                for a, b in pairs
            )
            return loss / len(pairs), nt2

        (dl, d_nt2), dg = jax.value_and_grad(d_loss, has_aux=True)(d_tv)
        ug, og = opt_g.update(gg, og, g_tv)
        ud, od = opt_d.update(dg, od, d_tv)
        g_tv, d_tv = optax.apply_updates(g_tv, ug), optax.apply_updates(d_tv, ud)
        return g_tv, g_nt2, d_tv, d_nt2, og, od, {"g_gan": adv, "l1": l1, "texture": tex, "d": dl}

    # A float32 twin of the generator (the bundle's precision) answers a fixed probe at every save; the import
    # checks TensorFlow's generator gives the same pixels, so nothing is lost between the backends.
    twin = generator("float32")
    probe = np.random.default_rng(1).random((1, CROP, CROP, 1), np.float32) * 2.0 - 1.0
    batches = Batches(args.pack, r["batch"], args.seed)
    key = jax.random.PRNGKey(args.seed)
    t0, last_save, steps, history = time.time(), time.time(), 0, []

    def save(final: bool) -> None:
        state = ((g.trainable_variables, g_tv), (g.non_trainable_variables, g_nt))
        state += ((d.trainable_variables, d_tv), (d.non_trainable_variables, d_nt))
        for variables, values in state:
            for v, val in zip(variables, values, strict=True):
                v.assign(val)
        _assign(twin, {v.path: np.asarray(v.value) for v in g.variables}, "the float32 twin")
        with jax.default_matmul_precision("highest"):  # full float32, as TensorFlow on the CPU computes
            extra = {PROBE_IN: probe, PROBE_OUT: np.asarray(twin(probe, training=False))}
        files = _save(g, out / "generator", extra)
        if args.save_discriminator:  # only a CPU --resume needs it (at most 8 files come back from the machine)
            files += _save(d, out / "discriminator")
        meta = json.loads(bytes(z["meta"]).decode())
        info = {
            **meta,
            "recipe": r,
            "precision": args.precision,
            "steps": steps,
            "images_seen": steps * r["batch"],
            "epochs": round(steps * r["batch"] / meta["train_images"], 1),
            "train_seconds": round(time.time() - t0, 1),
            "device": str(jax.devices()[0].device_kind),
            "init": json.loads((Path(args.init) / "run.json").read_text()) if args.init else None,
            "files": files,
            "history": history,
            "final": final,
        }
        (out / "run.json").write_text(json.dumps(info, indent=1) + "\n")

    while time.time() - t0 < args.seconds and (args.steps is None or steps < args.steps):
        key, k = jax.random.split(key)
        g_tv, g_nt, d_tv, d_nt, og, od, losses = step(g_tv, g_nt, d_tv, d_nt, og, od, batches.next(), k)
        steps += 1
        if steps == 1 or steps % 200 == 0:
            vals = {k2: float(v) for k2, v in losses.items()}
            history.append({"step": steps, "seconds": round(time.time() - t0, 1), **vals})
            print(f"step {steps} {time.time() - t0:.0f}s " + " ".join(f"{k2} {v:.4f}" for k2, v in vals.items()))
            sys.stdout.flush()
        if time.time() - last_save > args.save_every:
            save(False)
            last_save = time.time()
    save(True)
    print(f"{steps} steps in {time.time() - t0:.0f} s; weights in {out}")


# ----------------------------------------------------------------------------------------------- import (here)
def _load_parts(folder: Path, name: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for f in sorted(folder.glob(f"{name}.*.npz")):
        out.update(dict(np.load(f)))
    if not out:
        raise SystemExit(f"{folder}: no {name}.*.npz weights")
    return out


def _generator_parts(folder: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(the generator's weights by path, the probe ``{"input", "output"}`` saved beside them)."""
    weights = _load_parts(folder, "generator")
    probe = {"input": weights.pop(PROBE_IN, None), "output": weights.pop(PROBE_OUT, None)}
    return weights, probe


def _assign(model, weights: dict[str, np.ndarray], what: str) -> None:
    """Give ``model`` the weights by variable path (dropout's RNG states excepted: their names are counters)."""
    variables = [v for v in model.variables if "seed_generator" not in v.path]
    missing = [v.path for v in variables if v.path not in weights]
    if missing:
        raise SystemExit(f"{what}: {len(missing)} variables not in the weights, e.g. {missing[:3]}")
    for v in variables:
        if tuple(v.shape) != weights[v.path].shape:
            raise SystemExit(f"{what}: {v.path} is {tuple(v.shape)}, the weights {weights[v.path].shape}")
        v.assign(weights[v.path])


def import_run(args) -> None:
    sys.path.insert(0, str(ROOT))
    from upscale2x.train.checkpoints import CheckpointStore
    from upscale2x.train.config import TrainConfig
    from upscale2x.train.fit import HARDWARE_RECORD, SOURCE_RECORD, _build, checkpoint_of

    src = Path(args.dir)
    info = json.loads((src / "run.json").read_text())
    r = info["recipe"]
    run = Path(args.run)
    if run.exists():
        raise SystemExit(f"{run} exists")
    epochs = max(1, round(info["epochs"]))
    cfg = TrainConfig(
        data=args.data,
        task="see",
        out=str(run),
        **{k: r[k] for k in RECIPE},  # the recipe's names are TrainConfig's
        base_width=r.get("base_width"),
        max_width=r.get("max_width") or 512,
        epochs=epochs,
        val_fraction=info["val_fraction"],
        seed=info["seed"],
        precision=info["precision"],
    )
    model = _build(cfg, cfg.batch)
    weights, probe = _generator_parts(src)
    if probe["input"] is None or probe["output"] is None:
        raise SystemExit(f"{src}: no probe beside the generator's weights (not a run of this script)")
    _assign(model.generator, weights, "generator")
    if list(src.glob("discriminator.*.npz")):  # else a fresh discriminator: a CPU --resume retrains it
        _assign(model.discriminator, _load_parts(src, "discriminator"), "discriminator")
    view = _build(cfg.__class__(**{**cfg.__dict__, "precision": "float32"}), cfg.batch).generator
    view.set_weights(model.generator.get_weights())
    # ~1e-7 on a CPU or with the probe at full float32 on the GPU (6e-7 on the H200); the first GPU runs computed
    # the probe in TF32 (JAX's default there), ~1e-3 on average (0.1 grey levels): --max-diff 2e-3 for those.
    diff = np.abs(view(probe["input"], training=False).numpy() - probe["output"])
    print(f"generator under TensorFlow vs JAX on the probe: mean difference {diff.mean():.2e}, max {diff.max():.2e}")
    if diff.mean() > args.max_diff:
        raise SystemExit(f"the imported generator differs from the trained one by {diff.mean():.2e} on average")
    run.mkdir(parents=True)
    cfg.save(run / "train_config.json")
    (run / HARDWARE_RECORD).write_text(f"{info['device']} (JAX, models/train_jax.py)\n")
    if args.init_run:  # the phase this one continued: its bundle's training record, as --init-from keeps it
        card = json.loads((Path(args.init_run) / "bundle" / "card.json").read_text())
        (run / SOURCE_RECORD).write_text(json.dumps({"bundle": str(args.init_run), **card["training"]}, indent=2))
    (run / "gpu_run.json").write_text(json.dumps({k: v for k, v in info.items() if k != "files"}, indent=1) + "\n")
    store = CheckpointStore(run / "checkpoints", checkpoint_of(model))
    store.save(
        {
            "epoch": epochs,
            "step": 0,
            "global_step": int(info["steps"]),
            "train_seconds": float(info["train_seconds"]),
            "history": [],
            "loss_sums": {},
            "loss_steps": 0,
        }
    )
    print(f"{run}: {info['steps']} steps ({info['epochs']} epochs of batch {r['batch']}) from {info['device']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("data")
    p.add_argument("--out", required=True)
    p.add_argument("--val-fraction", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quality", type=int, default=95)
    t = sub.add_parser("train")
    t.add_argument("pack")
    t.add_argument("--out", required=True)
    t.add_argument("--seconds", type=float, default=240)
    t.add_argument("--steps", type=int, default=None)
    t.add_argument("--save-every", type=float, default=60)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--precision", default="bf16")
    t.add_argument("--save-discriminator", action="store_true")
    t.add_argument("--init", default=None, help="a folder of generator.*.npz this script saved: start from it")
    for k, v in RECIPE.items():
        if not isinstance(v, bool):
            t.add_argument("--" + k.replace("_", "-"), type=type(v), default=None)
    i = sub.add_parser("import")
    i.add_argument("dir")
    i.add_argument("--run", required=True)
    i.add_argument("--data", required=True)
    i.add_argument("--max-diff", type=float, default=1e-4, help="mean probe difference allowed (TF32 runs: 2e-3)")
    i.add_argument("--init-run", default=None, help="the imported run this one continued (train --init)")
    a = ap.parse_args()
    {"pack": pack, "train": train, "import": import_run}[a.cmd](a)


if __name__ == "__main__":
    main()
