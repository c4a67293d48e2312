#include "caffe/layers/conv_layer.hpp"
namespace caffe { INSTANTIATE_CLASS(ConvolutionLayer); }
