import jax
jax.x()
import tensorflow
tensorflow.x()
import tensorflow_datasets
tensorflow_datasets.x()
