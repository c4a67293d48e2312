import jax
jax.x()
import optax
optax.x()
