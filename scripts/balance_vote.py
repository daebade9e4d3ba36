"""How often DFR's label-free criterion prefers weighting over subsampling, read from 33_dfr_balance's committed runs.

Each run's `chosen["DFR+ExMap (auto)"]["balance_scores_"]` holds, per rule, the best mean worst-pseudo-group accuracy
on held-out validation halves (no true group, no test image). Usage: python scripts/balance_vote.py [results_dir ...]
(default: results/dfr_balance results/unseen/dfr_balance)."""
import json, sys
from pathlib import Path
import numpy as np

def vote(res: Path) -> dict:
    d = {}
    for f in sorted(res.glob("*/seed*.json")):
        s = json.loads(f.read_text())["chosen"]["DFR+ExMap (auto)"]["balance_scores_"]
        d.setdefault("weak p" if "_p0" in f.parent.name else "own p", []).append(100 * (s["weight"] - s["subsample"]))
    return d

if __name__ == "__main__":
    for res in map(Path, sys.argv[1:] or ["results/dfr_balance", "results/unseen/dfr_balance"]):
        d = vote(res); allv = np.concatenate(list(d.values()))
        parts = ", ".join(f"{k} {int((np.array(v) > 0).sum())} of {len(v)}" for k, v in d.items())
        print(f"{res}: weighting preferred on {int((allv > 0).sum())} of {len(allv)} runs ({parts}); "
              f"margin median {np.median(allv):+.1f}, range {allv.min():+.1f} to {allv.max():+.1f} points")
