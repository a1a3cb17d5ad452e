"""Deployment variants: ONNX export and int8 quantization with their checks (`onnx`), and the
deployment stage that makes, scores and times a trial's variants (`variants`)."""
