import keras
keras.x()
