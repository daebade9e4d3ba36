"""ExMap: LRP heatmaps clustered into pseudo-groups for group robustness without group labels

Modules:

- `exmap.afr`: Automatic Feature Reweighting: refit the last layer on held-out data, each sample weighted by how poorly the ERM model predicts it, close to the ERM head.
- `exmap.concepts`: Concept-level relevance: how much LRP relevance reaches each channel of a latent layer, summed over space or on a coarse grid, and its normalisation for clustering.
- `exmap.data`: Datasets with groups: images, labels, spurious attributes, group ids and readable group names, the same way for every dataset.
- `exmap.dfr`: Deep Feature Reweighting: retrain the last layer on group-balanced validation data, with true groups, pseudo-groups or none.
- `exmap.dro`: Group DRO (Sagawa et al., ICLR 2020), CVaR DRO and Learning from Failure (Nam et al., NeurIPS 2020): training strategies that take true groups, ExMap or GEORGE pseudo-groups, or none, with model selection on validation.
- `exmap.experiment`: What every experiment notebook shares: one setup (data, cached ERM, features, heatmaps, DFR), the dataset registry, cache keys, timings, the results JSON and tables.
- `exmap.extract`: Heatmaps and features at scale: batches streamed to `.npy` files on disk as they are computed, bounded memory, a stopped run resumes where it stopped, and the work sharded over processes with torchrun (gloo on CPUs, NCCL on GPUs) into one array identical to a single-process run.
- `exmap.george`: GEORGE group inference (Sohoni et al., NeurIPS 2020): cluster the penultimate features of each class; the clusters paired with the class are pseudo-groups, in the same form as ExMap's. Plus the controls that tell whether any pseudo-groups help: random pseudo-groups of the same sizes, and class balance only.
- `exmap.images`: File-backed datasets with groups (Waterbirds, CelebA, UrbanCars, a folder of your own): images decoded on demand in DataLoader workers, the authors' transforms, clear errors, and tiny generated trees for tests.
- `exmap.jtt`: Just Train Twice (Liu et al., ICML 2021): train ERM briefly, upsample the training samples it gets wrong, train again; choose (T, lambda, checkpoint) on the validation set by true groups (JTT), ExMap pseudo-groups (JTT+ExMap) or mean accuracy (unsupervised JTT).
- `exmap.masktune`: MaskTune: mask the region of each training image that the ERM model's saliency map marks most, then fine-tune the ERM model for one epoch on the masked images, so that it has to find other features.
- `exmap.multishortcut`: Datasets with two shortcuts at once: an offline multi-shortcut MNIST benchmark, a loader for UrbanCars in the Whac-A-Mole layout.
- `exmap.pipeline`: ExMap end to end: heatmaps of the validation images -> prepared maps -> clusters -> pseudo-groups, pooled by minority evidence, with a label-free check that falls back to class balance when nothing was found.
- `exmap.plots`: Figures of datasets and results: example images per group, the Whac-A-Mole gaps per method, and worst-group accuracy per method beside the paper's.
- `exmap.strategy`: One slot for groups: group-inference methods by name (`infer_groups`) on one side, group-robustness strategies with `fit(X, y, groups)` / `predict(X)` on the other, so that any pseudo-groups reach any strategy.
- `exmap.suite`: A suite of shortcut benchmarks built offline from MNIST: colour, a small patch, a background texture, a co-occurring object and a 5-class task, each at two correlation strengths, and three kinds spread over the image that no default was tuned on (noise frequency, background shade, a glyph at a random position), with masks of the digit and the shortcut.
- `exmap.whacamole`: Whac-A-Mole metrics and tables for two shortcuts at once: in-distribution accuracy, the BG, CoObj and BG+CoObj gaps and worst-group accuracy, as dicts and tidy DataFrames, and the Table 3 layout read from results JSONs."""

__version__ = "0.1.0"
# torchvision's compiled ops do not load on a CPU-only torch; define their schemas before anything imports it.
from .core import patch_torchvision as _patch_torchvision
_patch_torchvision()
