net = load('x');
res = vl_simplenn(net, im);
