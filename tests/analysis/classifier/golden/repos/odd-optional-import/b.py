try:
    import tensorflow as tf
    tf.x()
except ImportError:
    tf = None
