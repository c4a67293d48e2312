import theano
theano.x()
