from mxnet import gluon
gluon.nn.Dense(1)
