import mindspore.nn as nn
nn.Dense(1,1)
