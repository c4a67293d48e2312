import torch_geometric
import dgl
torch_geometric.x(); dgl.x()
