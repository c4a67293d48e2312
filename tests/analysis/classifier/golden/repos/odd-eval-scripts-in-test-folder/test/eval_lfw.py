import sys

import caffe
import numpy as np


def features(net, images):
    net.blobs["data"].data[...] = images
    return net.forward()["fc7"]


if __name__ == "__main__":
    net = caffe.Net(sys.argv[1], sys.argv[2], caffe.TEST)
    print(np.mean(features(net, np.zeros((1, 3, 224, 224)))))
