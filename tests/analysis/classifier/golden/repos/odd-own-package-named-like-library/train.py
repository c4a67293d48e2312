import blocks
blocks.x()
