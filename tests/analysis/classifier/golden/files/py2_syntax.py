import theano
import cPickle
print 'hello'
try:
    x = 1
except Exception, e:
    pass
theano.x(); cPickle.x()
