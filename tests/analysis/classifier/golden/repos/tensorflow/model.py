from tensorflow.keras import layers
layers.Dense(1)
