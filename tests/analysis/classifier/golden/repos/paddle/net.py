import paddle
paddle.x()
