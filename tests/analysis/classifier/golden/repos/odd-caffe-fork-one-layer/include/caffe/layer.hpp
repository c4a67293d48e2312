#include "caffe/blob.hpp"
#include "caffe/common.hpp"
namespace caffe { template <typename Dtype> class Layer {}; }
