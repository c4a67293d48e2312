library(keras)
model <- keras_model_sequential()
