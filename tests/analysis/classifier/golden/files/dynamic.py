import importlib
m = importlib.import_module('tensorflow')
n = __import__("jax")
o = importlib.import_module('x.' + name)
