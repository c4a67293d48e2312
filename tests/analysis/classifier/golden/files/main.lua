require 'nn'
local c = require("cunn")
require"optim"
