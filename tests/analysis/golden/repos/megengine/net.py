import megengine
megengine.x()
