import mlx.core as mx
mx.array(1)
