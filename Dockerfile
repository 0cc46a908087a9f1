# The bring-your-own-container image: `docker run IMAGE train` for a training job, `docker run IMAGE serve`
# for an endpoint (SageMaker's contract; see docs/container.md).
#   CPU: docker build -t ner-tagger .
#   GPU: docker build --build-arg VARIANT=-gpu -t ner-tagger:latest-gpu .
ARG TF_VERSION=2.15.0
ARG VARIANT=
FROM tensorflow/tensorflow:${TF_VERSION}${VARIANT}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=3

WORKDIR /opt/ml/code
COPY setup.py README.md ./
COPY configs ./configs
COPY ner_tagger ./ner_tagger
COPY container/train container/serve ./

# The base image's TensorFlow (CPU or CUDA build) is pinned as a constraint, so pip installs only what is
# missing (tensorflow-addons, seqeval, gunicorn) and never swaps TensorFlow for a different build.
RUN (python3 -m pip freeze | grep -iE '^(tensorflow|tensorflow-cpu|tensorflow-estimator|keras|numpy)==' || true) \
        > /tmp/base-constraints.txt \
 && python3 -m pip install -c /tmp/base-constraints.txt "/opt/ml/code[serve]" \
 && rm -rf /opt/ml/code/build /opt/ml/code/*.egg-info /tmp/base-constraints.txt \
 && cd / && python3 -c "import tensorflow as tf, tensorflow_addons, gunicorn, ner_tagger.container.serve; print('tensorflow', tf.__version__)"

# `docker run -v "$PWD/test_dir:/opt/ml" IMAGE train` (the local harness) mounts over /opt/ml and so hides
# /opt/ml/code: the executables are also copied to /usr/local/bin, and the package lives in site-packages.
RUN chmod 0755 /opt/ml/code/train /opt/ml/code/serve \
 && install -m 0755 /opt/ml/code/train /opt/ml/code/serve /usr/local/bin/ \
 && useradd --system --user-group --no-create-home --shell /usr/sbin/nologin ner

# Training runs as root (SageMaker's /opt/ml mounts are root-owned); `serve` drops to this user before it
# starts gunicorn (ner_tagger/container/serve.py).
ENV PATH="/opt/ml/code:${PATH}" \
    NER_TAGGER_SERVE_USER=ner

WORKDIR /
EXPOSE 8080
# Exec form, no shell in between: SIGTERM from StopTrainingJob / endpoint updates reaches Python directly.
CMD ["serve"]
