import numpy
numpy.x()
import sklearn
sklearn.x()
