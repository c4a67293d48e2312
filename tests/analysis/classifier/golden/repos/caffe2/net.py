from caffe2.python import core
core.Net('x')
