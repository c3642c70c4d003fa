"""The pix2pix conditional GAN as a keras.Model with its own train_step.

Losses (pix2pix): the generator minimises sigmoid cross-entropy of the discriminator's logits on fakes
against "real" plus ``l1_weight`` (100) times the L1 distance to the target; the discriminator minimises
real-vs-ones plus fake-vs-zeros. Both use Adam(2e-4, beta_1=0.5). Losses are averaged over the *global*
batch (``tf.nn.compute_average_loss``) so the same code is right under tf.distribute strategies.
``gan_weight`` scales the adversarial term; at 0 the step is plain L1 regression and the discriminator is
neither run nor updated (an L1-only warm-up, as PSNR-first super-resolution training does before the GAN).

Stabilisers (:class:`GanRecipe`), each off by default so the plain pix2pix loss stays what it was:
- ``loss``: ``bce`` (pix2pix), ``lsgan`` (least squares, Mao et al. 2017) or ``hinge`` (Miyato et al. 2018).
- ``feature_matching``: weight of pix2pixHD's feature-matching term, the L1 distance between the
  discriminator's intermediate features of the real and the generated image, averaged over its 4 layers. It
  gives the generator a dense, stable target besides the single real/fake verdict.
- ``r1``: gamma of the R1 penalty (Mescheder et al. 2018), ``gamma/2 * |grad D(real)|^2``, which keeps the
  discriminator from growing sharp around the real images.
- ``pixel``: the pixel term weighed by ``l1_weight``: ``l1`` (pix2pix) or ``mse``, the squared error, whose
  optimum is the PSNR's (L1's is the median), for a last PSNR fine-tune. Logged under its own name.
- ``texture``: weight of a detail-energy term, the L1 distance between the output's and the target's mean
  absolute luma Laplacian over each 8x8-px block (:func:`texture_error`). It asks for as much fine detail as the
  target has in each block, wherever in the block it lies, so it rewards invented texture (foliage, gravel) that
  L1 alone averages away, and penalises detail the target does not have.
(Spectral normalisation is a property of the discriminator: ``nets.patch_discriminator(spectral_norm=True)``.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..metrics import LATTICE_PERIOD  # the penalty sees the measure's grid: patterns of period 1, 2, 4 or 8 px
from ..model import preprocess
from ..model._tf import keras, tf
from ..model.layers import phase_pattern
from ..model.nets import DISC_FEATURES
from .config import GAN_LOSSES, PIXEL_LOSSES


@dataclass(frozen=True)
class GanRecipe:
    """How the adversarial part is trained (see the module docstring)."""

    loss: str = "bce"  # one of GAN_LOSSES
    feature_matching: float = 0.0  # weight of the discriminator feature-matching term (pix2pixHD: 10)
    r1: float = 0.0  # R1 gradient penalty gamma on real images (0 = off)
    lattice: float = 0.0  # weight of the lattice penalty on the error's 8-px-periodic part (0 = off)
    texture: float = 0.0  # weight of the detail-energy term (texture_error; 0 = off)
    pixel: str = "l1"  # one of PIXEL_LOSSES: the pixel term
    lattice_window: int = 0  # px: the lattice penalty per window of this side (a multiple of 8); 0 = per crop

    def __post_init__(self) -> None:
        if self.loss not in GAN_LOSSES:
            raise ValueError(f"GAN loss must be one of {', '.join(GAN_LOSSES)}, got {self.loss!r}")
        if self.pixel not in PIXEL_LOSSES:
            raise ValueError(f"pixel loss must be one of {', '.join(PIXEL_LOSSES)}, got {self.pixel!r}")
        weights = {
            "feature matching": self.feature_matching,
            "r1": self.r1,
            "lattice": self.lattice,
            "texture": self.texture,
        }
        bad = [f"{k} {v}" for k, v in weights.items() if v < 0]
        if bad:
            raise ValueError(f"loss weights must be >= 0, got {', '.join(bad)}")
        if self.lattice_window < 0 or self.lattice_window % LATTICE_PERIOD:
            raise ValueError(
                f"lattice window must be 0 or a multiple of {LATTICE_PERIOD} px, got {self.lattice_window}"
            )


def lattice_error(real, fake, window: int = 0):
    """Per example, the RMS of the 8-px-periodic part of the luma error ``fake - real`` (images in [-1, 1]).

    The part of an image that repeats every 8 px on both axes is the mean over each of the 64 pixel phases
    (row mod 8, column mod 8; layers.phase_pattern); its spectrum is exactly metrics.lattice_share's bins. Taken of
    the error, not of the output, a photo's own periodic content costs nothing; a checkerboard or a hatch stamped
    by the decoder does. ``window`` (px, a multiple of 8) takes it per window of that side and averages: a grid
    drawn in part of a crop only (lines in its flat areas) then counts, where over the whole crop, or after a
    lattice-free layer that removes the crop's mean pattern, it would not.
    """
    d = preprocess.grayscale(fake - real)  # [N, H, W, 1]: luma is linear, so this is the luma error
    h, w, k = tf.shape(d)[1], tf.shape(d)[2], LATTICE_PERIOD
    if window:
        n = tf.shape(d)[0]
        rows, cols = h // window, w // window
        d = d[:, : rows * window, : cols * window]
        d = tf.reshape(d, [n, rows, window, cols, window, 1])
        d = tf.reshape(tf.transpose(d, [0, 1, 3, 2, 4, 5]), [n * rows * cols, window, window, 1])
        periodic = phase_pattern(d, k)  # [N * windows, 8, 8, 1]
        per_window = tf.sqrt(tf.reduce_mean(tf.square(periodic), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean(tf.reshape(per_window, [n, rows * cols]), axis=1)
    periodic = phase_pattern(d[:, : h // k * k, : w // k * k], k)  # [N, 8, 8, 1]
    return tf.sqrt(tf.reduce_mean(tf.square(periodic), axis=[1, 2, 3]) + 1e-12)


TEXTURE_BLOCK = 8  # px: the detail energy is compared block by block, so its place inside a block is free
_LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))  # metrics.sharpness's (scipy.ndimage.laplace)


def detail_energy(img):
    """Mean absolute Laplacian of the luma over each 8x8-px block: [N, H, W, C] -> [N, H/8, W/8, 1]."""
    kernel = tf.reshape(tf.constant(_LAPLACIAN, tf.float32), [3, 3, 1, 1])
    lap = tf.abs(tf.nn.conv2d(preprocess.grayscale(img), kernel, 1, "VALID"))
    return tf.nn.avg_pool2d(lap, TEXTURE_BLOCK, TEXTURE_BLOCK, "VALID")


def texture_error(real, fake):
    """Per example, the mean absolute difference of :func:`detail_energy` between ``fake`` and ``real``.

    Zero when each 8x8 block of the output holds as much fine detail as the target's, even if it is not the same
    detail: a shifted or re-invented texture costs nothing, a blur or added noise does.
    """
    return _per_example_mean(tf.abs(detail_energy(fake) - detail_energy(real)))


def _per_example_mean(x):
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def _g_adversarial(loss: str, d_fake):
    """Per-example generator adversarial loss on the fake logits."""
    if loss == "lsgan":
        return _per_example_mean(tf.square(d_fake - 1.0))
    if loss == "hinge":
        return _per_example_mean(-d_fake)
    return _per_example_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(d_fake), d_fake))


def _d_adversarial(loss: str, d_real, d_fake):
    """Per-example discriminator loss on the real and fake logits."""
    if loss == "lsgan":
        return _per_example_mean(tf.square(d_real - 1.0)) + _per_example_mean(tf.square(d_fake))
    if loss == "hinge":
        return _per_example_mean(tf.nn.relu(1.0 - d_real)) + _per_example_mean(tf.nn.relu(1.0 + d_fake))
    bce = tf.nn.sigmoid_cross_entropy_with_logits
    return _per_example_mean(bce(tf.ones_like(d_real), d_real)) + _per_example_mean(bce(tf.zeros_like(d_fake), d_fake))


def _over_scales(loss, *logits):
    """A per-example loss averaged over the discriminator's scales (pix2pixHD weighs every scale alike)."""
    return tf.add_n([loss(*one) for one in zip(*logits, strict=True)]) / len(logits[0])


class Pix2Pix(keras.Model):
    """Generator + discriminator trained together for ``task`` (a TaskSpec: per-cell transform, residual)."""

    def __init__(
        self,
        generator,
        discriminator,
        task,
        l1_weight: float = 100.0,
        global_batch: int = 1,
        gan_weight: float = 1.0,
        recipe: GanRecipe | None = None,
    ):
        super().__init__(name="pix2pix")
        self.generator, self.discriminator = generator, discriminator
        self.cell_prep, self.residual = task.cell_prep, task.residual
        self.l1_weight, self.global_batch = float(l1_weight), int(global_batch)
        self.gan_weight = float(gan_weight)
        self.recipe = recipe or GanRecipe()
        # One call gives the logits (every scale's) and the finest scale's intermediate features (shared weights: no
        # second discriminator).
        features = [discriminator.get_layer(n).output for n in DISC_FEATURES]
        self._n_features = len(features)
        self._d_with_features = keras.Model(discriminator.inputs, [*features, *discriminator.outputs])

    def compile(self, g_optimizer, d_optimizer):  # noqa: D102 - two optimizers instead of one
        super().compile()
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer

    def generator_input(self, x):
        """Raw task input in [0, 1] -> the generator's input in [-1, 1] (the render path's transform)."""
        return preprocess.to_model(preprocess.transform(self.cell_prep)(x))

    def fake(self, gen_in, training):
        """The generated image in [-1, 1] for a generator input (residual tasks add the input back)."""
        return preprocess.compose(gen_in, self.generator(gen_in, training=training), self.residual)

    def call(self, x, training=False):
        return self.fake(self.generator_input(x), training)

    def _avg(self, per_example):
        return tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch)

    def _discriminate(self, gen_in, target):
        """(features, logits): the finest scale's features in float32 (bf16 under --precision bf16: losses are
        float32), and the list of every scale's logits (one for pix2pix's PatchGAN)."""
        outs = self._d_with_features([gen_in, target], training=True)
        features, logits = outs[: self._n_features], outs[self._n_features :]
        return [tf.cast(f, tf.float32) for f in features], logits

    def train_step(self, data):
        x, target = data
        gen_in, real = self.generator_input(x), preprocess.to_model(target)
        if self.gan_weight == 0:
            return self._pixel_step(gen_in, real)
        r = self.recipe
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.fake(gen_in, training=True)
            if r.r1 > 0:
                with tf.GradientTape() as r1_tape:
                    r1_tape.watch(real)
                    real_features, d_real = self._discriminate(gen_in, real)
                    d_real_sum = tf.add_n([tf.reduce_sum(d) for d in d_real])  # inside the tape: a path to `real`
                grad = r1_tape.gradient(d_real_sum, real)
                r1 = self._avg(0.5 * r.r1 * tf.reduce_sum(tf.reshape(tf.square(grad), [tf.shape(grad)[0], -1]), 1))
            else:
                real_features, d_real = self._discriminate(gen_in, real)
                r1 = tf.constant(0.0)
            fake_features, d_fake = self._discriminate(gen_in, fake)
            g_gan = self._avg(_over_scales(lambda f: _g_adversarial(r.loss, f), d_fake))
            pixel = self._pixel(real, fake)
            g_loss = self.gan_weight * g_gan + self.l1_weight * pixel
            penalties = self._penalties(real, fake)
            for weight, value in penalties.values():
                g_loss += weight * value
            fm = tf.constant(0.0)
            if r.feature_matching > 0:
                fm = tf.add_n(
                    [
                        self._avg(_per_example_mean(tf.abs(tf.stop_gradient(fr) - ff)))
                        for fr, ff in zip(real_features, fake_features, strict=True)
                    ]
                ) / len(real_features)
                g_loss += r.feature_matching * fm
            d_loss = self._avg(_over_scales(lambda re, f: _d_adversarial(r.loss, re, f), d_real, d_fake)) + r1
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars, strict=True))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        out = {"g_gan": g_gan, r.pixel: pixel, "d": d_loss}
        if r.feature_matching > 0:
            out["fm"] = fm
        if r.r1 > 0:
            out["r1"] = r1
        return out | {name: value for name, (_, value) in penalties.items()}

    def _penalties(self, real, fake):
        """The lattice and texture terms that are on, by name: (weight, value averaged over the global batch)."""
        r = self.recipe
        lattice = lambda a, b: lattice_error(a, b, r.lattice_window)  # noqa: E731
        terms = {"lattice": (r.lattice, lattice), "texture": (r.texture, texture_error)}
        return {name: (w, self._avg(error(real, fake))) for name, (w, error) in terms.items() if w > 0}

    def _pixel(self, real, fake):
        """The pixel term (L1 or squared error), averaged per example and over the global batch."""
        err = real - fake
        return self._avg(_per_example_mean(tf.square(err) if self.recipe.pixel == "mse" else tf.abs(err)))

    def _pixel_step(self, gen_in, real):
        """Generator-only step on the pixel term (and the lattice and texture terms); the discriminator is left as is.

        The loss is ``pixel + (lattice / l1_weight) * lattice_error``: Adam's steps do not depend on the loss's scale,
        so this trains exactly as ``l1_weight * pixel + lattice * lattice_error`` would, the GAN step's weighting
        (the texture term likewise).
        """
        r = self.recipe
        with tf.GradientTape() as g_tape:
            fake = self.fake(gen_in, training=True)
            pixel = self._pixel(real, fake)
            loss = pixel
            penalties = self._penalties(real, fake)
            for weight, value in penalties.values():
                loss += (weight / self.l1_weight) * value
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(loss, g_vars), g_vars, strict=True))
        zero = tf.zeros_like(pixel)
        out = {"g_gan": zero, r.pixel: pixel, "d": zero}
        return out | {name: value for name, (_, value) in penalties.items()}
