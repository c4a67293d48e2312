#include "caffe/caffe.hpp"
int main(int argc, char** argv) { return 0; }
