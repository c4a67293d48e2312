library(keras)
require("torch")
