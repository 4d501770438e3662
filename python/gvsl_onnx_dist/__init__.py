"""Data-parallel GVSL pre-training with torch.distributed (torchrun) from gvsl-onnx's exported graphs.

A run folder made by ``onnx-train distributed prepare`` holds ``grads.onnx`` (batch -> loss terms + one flat
gradient buffer), ``apply.onnx`` (averaged gradients -> Adam update), ``manifest.json`` and the checkpoint.
``torchrun ... -m gvsl_onnx_dist.run RUN`` starts one rank per process (see docs/distributed.md).
"""

__version__ = "0.1.0"
