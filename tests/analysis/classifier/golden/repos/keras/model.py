from keras.layers import Dense
Dense(1)
