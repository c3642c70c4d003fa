"""Training: data pipelines (data.py), the pix2pix GAN (gan.py), and the resumable loop (fit.py)."""
