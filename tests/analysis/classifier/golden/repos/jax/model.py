import flax.linen as nn
nn.Dense(1)
