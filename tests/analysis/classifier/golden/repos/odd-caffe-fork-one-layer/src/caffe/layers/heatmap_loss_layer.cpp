#include "caffe/layers/heatmap_loss_layer.hpp"
#include "caffe/util/math_functions.hpp"
namespace caffe { INSTANTIATE_CLASS(HeatmapLossLayer); }
