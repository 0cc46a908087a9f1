"""The data stage: labelled files in (CoNLL, JSON lines with offsets, Ground Truth manifests), sentences,
tag schemes, the data folder's train/dev/test files, the shard files a job streams, vocabularies and
pretrained vectors. No TensorFlow at import.
"""
