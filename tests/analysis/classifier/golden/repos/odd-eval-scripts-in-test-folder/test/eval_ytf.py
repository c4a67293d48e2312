import caffe

if __name__ == "__main__":
    caffe.set_mode_gpu()
    net = caffe.Net("deploy.prototxt", "model.caffemodel", caffe.TEST)
    net.forward()
