import lasagne
print 'py2'
lasagne.layers
