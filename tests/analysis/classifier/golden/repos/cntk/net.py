import cntk
cntk.x()
