run vl_setupnn
net = caffe.Net(model, 'test');
