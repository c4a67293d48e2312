import tensorflow as tf
with tf.GradientTape() as tape:
    pass
