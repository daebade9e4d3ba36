"The torchvision fix: `import exmap` makes torchvision and zennit importable on a CPU-only torch, and does nothing where the ops exist."
import subprocess, sys

def run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)

def test_import_exmap_then_torchvision_and_zennit():
    r = run("import exmap, torchvision, zennit\n"
            "from torchvision.models import resnet18\n"
            "from zennit.torchvision import ResNetCanonizer\n"
            "print(resnet18(num_classes=2).fc.out_features)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "2"

def test_patch_is_idempotent_and_a_no_op_when_the_schema_exists():
    # Simulate a torch whose torchvision ops loaded: the schema exists before exmap is imported.
    r = run("import torch\n"
            "lib = torch.library.Library('torchvision', 'FRAGMENT')\n"
            "lib.define('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')\n"
            "import exmap.core as c\n"
            "print(c._TV_LIB is None, c.patch_torchvision())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True False"
