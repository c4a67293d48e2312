require 'torch'
