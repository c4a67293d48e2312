import chainer.links as L
L.Linear(1)
