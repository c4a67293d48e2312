import unittest

import numpy as np
import tensorflow as tf

from pkg.model import loss


class LossTest(unittest.TestCase):
    def test_matches_tensorflow(self):
        x, y = np.ones(3), np.zeros(3)
        self.assertAlmostEqual(loss(x, y), float(tf.reduce_mean(tf.square(x - y))))


if __name__ == "__main__":
    unittest.main()
