import tensorflow as tf
class Net(tf.keras.Model):
    pass
