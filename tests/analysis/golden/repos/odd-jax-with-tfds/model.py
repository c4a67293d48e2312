import flax
flax.x()
