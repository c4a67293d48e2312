# -*- coding: latin-1 -*-
# café
import chainer
chainer.x()
