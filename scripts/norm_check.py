"""Why ExMap misses a shortcut carried by intensity: group recovery with each heatmap normalisation (issue 8 diagnostic).

    OMP_NUM_THREADS=1 .venv/bin/python scripts/norm_check.py heldout_bright_97

Loads a study benchmark of scripts/defaults_study.py (its cached ERM and heatmaps), prints the mean relevance mass of
each true validation group, then minority recall and ARI of `exmap_pseudo_groups` (defaults otherwise) with
`norm="max"` (the default), `"l2"` and `"none"`. A diagnostic read with true groups: it chooses nothing.
"""
import sys, numpy as np, torch
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
import defaults_study as d
from exmap.dfr import exmap_pseudo_groups
from exmap.cluster import group_inference_quality

def main(name="heldout_bright_97", seed=0):
    torch.set_num_threads(1)
    b = d.Bench(name, seed); H = b.heatmaps("exmap")
    print("mean |relevance| summed per map, by true group:",
          [round(float(np.abs(H[b.g == g]).sum((1, 2, 3)).mean()), 2) for g in range(b.n_groups)])
    for norm in ("max", "l2", "none"):
        g, diag = exmap_pseudo_groups(b.erm, b.val.x, b.y, heatmaps=H, random_state=seed, progress=False, norm=norm)
        q = group_inference_quality(g, b.g, b.y)
        print(f"norm={norm}: case {diag['case'][:8]}, {int(g.max()) + 1} pseudo-groups, "
              f"minority recall {q['minority_recall']:.2f}, ARI {q['ari']:.2f}")

if __name__ == "__main__":
    main(*sys.argv[1:2])
