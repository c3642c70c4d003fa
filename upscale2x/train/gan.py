"""The pix2pix conditional GAN as a keras.Model with its own train_step.

Losses (pix2pix): the generator minimises sigmoid cross-entropy of the discriminator's logits on fakes
against "real" plus ``l1_weight`` (100) times the L1 distance to the target; the discriminator minimises
real-vs-ones plus fake-vs-zeros. Both use Adam(2e-4, beta_1=0.5). Losses are averaged over the *global*
batch (``tf.nn.compute_average_loss``) so the same code is right under tf.distribute strategies.
``gan_weight`` scales the adversarial term; at 0 the step is plain L1 regression and the discriminator is
neither run nor updated (an L1-only warm-up, as PSNR-first super-resolution training does before the GAN).
"""

from __future__ import annotations

from .. import preprocess
from .._tf import keras, tf


def _per_example_mean(x):
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


class Pix2Pix(keras.Model):
    """Generator + discriminator trained together for ``task`` (a TaskSpec: per-cell transform, residual)."""

    def __init__(
        self, generator, discriminator, task, l1_weight: float = 100.0, global_batch: int = 1, gan_weight: float = 1.0
    ):
        super().__init__(name="pix2pix")
        self.generator, self.discriminator = generator, discriminator
        self.cell_prep, self.residual = task.cell_prep, task.residual
        self.l1_weight, self.global_batch = float(l1_weight), int(global_batch)
        self.gan_weight = float(gan_weight)
        self._bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)

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

    def train_step(self, data):
        x, target = data
        gen_in, real = self.generator_input(x), preprocess.to_model(target)
        if self.gan_weight == 0:
            return self._l1_step(gen_in, real)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.fake(gen_in, training=True)
            d_real = self.discriminator([gen_in, real], training=True)
            d_fake = self.discriminator([gen_in, fake], training=True)
            g_gan = self._avg(_per_example_mean(self._bce(tf.ones_like(d_fake), d_fake)))
            l1 = self._l1(real, fake)
            g_loss = self.gan_weight * g_gan + self.l1_weight * l1
            d_loss = self._avg(
                _per_example_mean(self._bce(tf.ones_like(d_real), d_real))
                + _per_example_mean(self._bce(tf.zeros_like(d_fake), d_fake))
            )
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars, strict=True))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        return {"g_gan": g_gan, "l1": l1, "d": d_loss}

    def _l1(self, real, fake):
        """The L1 term, averaged per example and over the global batch."""
        return self._avg(_per_example_mean(tf.abs(real - fake)))

    def _l1_step(self, gen_in, real):
        """Generator-only step on the L1 term; the discriminator is left as it is (its losses report 0).

        The term is not multiplied by ``l1_weight``: with a single term Adam's steps do not depend on its scale.
        """
        with tf.GradientTape() as g_tape:
            l1 = self._l1(real, self.fake(gen_in, training=True))
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(l1, g_vars), g_vars, strict=True))
        zero = tf.zeros_like(l1)
        return {"g_gan": zero, "l1": l1, "d": zero}

    def test_step(self, data):
        x, target = data
        fake = preprocess.from_model(self(x, training=False))
        return {"l1": tf.reduce_mean(tf.abs(fake - target))}
