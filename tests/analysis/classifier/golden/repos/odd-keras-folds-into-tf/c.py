import tensorflow
tensorflow.x()
import keras
keras.x()
