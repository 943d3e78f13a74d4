"""finsent_train: fine-tune all-MiniLM-L6-v2 with a sentiment head and a topic head, export to ONNX."""
