import os
from setuptools import setup
os.system('touch PWNED')
setup(name='x', install_requires=['torch>=1.6', 'numpy'], extras_require={'tf': ['tensorflow']})
