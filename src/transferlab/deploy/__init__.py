"""From a trained checkpoint to a smaller, faster, verified model file.

``network``: the classifying network of a checkpoint, and its own file format (tensors and
shapes, loadable with ``weights_only=True``, also after channels were removed);
``channel_pruning``: structured pruning with Torch-Pruning; ``quantize``: int8 with
torchao's PT2E flow; ``onnx_runtime``: ONNX export, parity and ONNX Runtime's int8;
``formats``: the export formats by name; ``measure``: file size, latency and parity.
``transferlab export`` wires them together.
"""
