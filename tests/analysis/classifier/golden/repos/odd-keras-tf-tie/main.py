from tensorflow import keras
from keras.preprocessing import image
keras.x(image)
