require 'torch'
require 'optim'
