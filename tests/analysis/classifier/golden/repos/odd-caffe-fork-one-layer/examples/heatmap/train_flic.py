import caffe

if __name__ == "__main__":
    solver = caffe.SGDSolver("solver.prototxt")
    solver.solve()
