#include "darknet.h"
