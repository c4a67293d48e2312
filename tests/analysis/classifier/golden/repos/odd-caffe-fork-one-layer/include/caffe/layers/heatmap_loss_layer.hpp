#include "caffe/layer.hpp"
namespace caffe { template <typename Dtype> class HeatmapLossLayer : public Layer<Dtype> {}; }
