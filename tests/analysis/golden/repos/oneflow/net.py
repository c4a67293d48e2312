import oneflow
oneflow.x()
