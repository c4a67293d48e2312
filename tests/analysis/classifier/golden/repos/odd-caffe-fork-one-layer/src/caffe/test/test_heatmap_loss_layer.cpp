#include "gtest/gtest.h"
#include "caffe/layers/heatmap_loss_layer.hpp"
#include "caffe/test/test_caffe_main.hpp"
