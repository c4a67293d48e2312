import jax
import tensorflow_datasets as tfds
jax.x(); tfds.load()
