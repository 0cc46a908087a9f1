"""ner_tagger: a BiLSTM-CRF named-entity tagger as a tf.estimator framework script for Amazon SageMaker."""
import re

from setuptools import find_packages, setup

# One version source: ner_tagger/__init__.py (read as text: importing the package here would need its
# dependencies before they are installed).
with open("ner_tagger/__init__.py", encoding="utf-8") as fh:
    VERSION = re.search(r'^__version__ = "([^"]+)"', fh.read(), re.M).group(1)

setup(
    name="ner_tagger",
    version=VERSION,
    description="BiLSTM-CRF named-entity tagger (tf.estimator) for SageMaker script mode and BYO containers",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["ner_tagger", "ner_tagger.*"]),
    package_data={"ner_tagger": ["datasets/wnut17/*"]},
    include_package_data=True,
    python_requires=">=3.9,<3.12",
    install_requires=[
        "tensorflow>=2.13,<2.16",
        "tensorflow-addons>=0.21,<0.24",
        "numpy<2",
        "seqeval>=1.2.2",
    ],
    extras_require={
        # The container's HTTP server (``serve``); training needs nothing beyond install_requires.
        "serve": [
            "gunicorn>=22",
        ],
        # scripts/launch_sagemaker.py: SageMaker Python SDK v2 (the estimator API; v3 dropped it).
        "sagemaker": [
            "sagemaker>=2.257,<3",
        ],
        # The same launcher with SageMaker Python SDK v3 (ModelTrainer): training and tuning on one instance.
        # Install it in a venv of its own: v2 and v3 are one package name.
        "sagemaker3": [
            "sagemaker>=3,<4",
        ],
        "test": [
            # pytest 9 stores a test's id where pytest-xdist (3.8) cannot append its group to it, so
            # --dist loadgroup silently splits files across workers (their module fixtures then run twice).
            "pytest>=7,<9",
            "pytest-xdist>=3.2",  # scripts/test.sh runs the suite on every core (-n auto --dist loadgroup)
            "ruff>=0.6",  # lint, run by scripts/test.sh before the tests (settings in pyproject.toml)
            "hypothesis>=6",
            "gunicorn>=22",
            "psutil>=5.6",  # benchmarks/loadtest.py samples the server's memory
            "sagemaker>=2.257,<3",
            # The managed container's runner (sagemaker-training, sagemaker-tensorflow-training) is installed
            # by scripts/test.sh without its dependency pins: it pins protobuf<=3.20.3, whose pure-Python
            # build would slow TensorFlow; the container itself ships protobuf 3.20 beside TF 2.14.
        ],
        # benchmarks/scale.py draws docs/scale.png.
        "bench": [
            "matplotlib>=3.5",
        ],
    },
    entry_points={
        "console_scripts": [
            "ner-tagger-train=ner_tagger.train:main",
            "ner-tagger-evaluate=ner_tagger.evaluate:main",
            "ner-tagger-predict=ner_tagger.predict:main",
        ],
    },
)
