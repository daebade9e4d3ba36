#!/usr/bin/env python
"""Stream LRP heatmaps and features of one split to disk; torchrun-ready. Same as `python -m exmap.extract`.

    torchrun --standalone --nproc_per_node 2 scripts/extract.py --dataset waterbirds --data-dir DATA --split val \
        --checkpoint erm.pt --out heat/wb_val
"""
import sys
import exmap  # the torchvision fix first
from exmap.extract import main

if __name__ == "__main__": sys.exit(main())
