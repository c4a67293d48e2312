from keras.models import Sequential
Sequential()
