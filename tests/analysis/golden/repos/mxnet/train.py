import gluoncv
gluoncv.x()
