#!/bin/bash
for seed in 1 2 3; do
  python train_net.py --seed $seed
done
python3 "$DIR/eval/evaluate.py" --out results
