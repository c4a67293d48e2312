import caffe
caffe.x()
