#include "caffe/layers/heatmap_loss_layer.hpp"
namespace caffe { INSTANTIATE_LAYER_GPU_FUNCS(HeatmapLossLayer); }
