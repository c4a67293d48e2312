import dynet
dynet.x()
