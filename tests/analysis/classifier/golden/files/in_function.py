def f():
    import torch
    return torch
try:
    if True:
        import jax
except ImportError:
    pass
jax
