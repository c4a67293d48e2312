net = dagnn.DagNN();
