#include <torch/extension.h>
#include "caffe/blob.hpp"
#  include <vector>
