import numpy as np


def loss(x, y):
    return np.mean((x - y) ** 2)
