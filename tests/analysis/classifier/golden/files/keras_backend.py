import os
os.environ['KERAS_BACKEND'] = 'torch'
import keras
keras.x(); os
