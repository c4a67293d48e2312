import tensorflow
tensorflow.x()
