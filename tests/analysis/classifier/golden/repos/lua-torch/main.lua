require 'nn'
local cudnn = require("cudnn")
