# Build, try and publish the bring-your-own-container image (docs/container.md).
#   make build                  CPU image ner-tagger:latest   (make build VARIANT=-gpu: ner-tagger:latest-gpu)
#   make local-train local-serve          the image against test_dir/ mounted as /opt/ml (needs a Docker engine)
#   make local-train-nodocker local-serve-nodocker   the same executables without Docker (NER_TAGGER_ML_ROOT)
#   make ping invoke            talk to a running serve on $(PORT)
#   make push                   to ECR; ACCOUNT and REGION from the AWS CLI unless given: make push REGION=eu-west-1
#   make sagemaker-source       stage the script-mode source_dir (entry, package, wheels) in build/sagemaker-source;
#                               SM_PYTHON=3.11 SM_GLIBC=2.36 SM_IMAGE_PACKAGES=1 for an image other than the managed one
#   make byoc-test              the bring-your-own container's doors without Docker (tests/test_container_*.py)
#   make container-test         the container lane: real engine, stand-in images, SDK local mode (docs/container.md)

IMAGE ?= ner-tagger
TAG ?= latest
VARIANT ?=
TF_VERSION ?= 2.15.0
PORT ?= 8080
LOCAL_ROOT ?= $(CURDIR)/test_dir
PYTHON ?= $(if $(wildcard .venv/bin/python),$(CURDIR)/.venv/bin/python,python3)
# ?= expands lazily, so the AWS CLI is asked only by the targets that use these.
REGION ?= $(shell aws configure get region 2>/dev/null)
ACCOUNT ?= $(shell aws sts get-caller-identity --query Account --output text 2>/dev/null)
REGISTRY = $(ACCOUNT).dkr.ecr.$(REGION).amazonaws.com
LOCAL_IMAGE = $(IMAGE):$(TAG)$(VARIANT)
REMOTE_IMAGE = $(REGISTRY)/$(IMAGE):$(TAG)$(VARIANT)
DOCKER_RUN_FLAGS ?= $(if $(VARIANT),--gpus all,)
# Extra `docker build` flags, e.g. DOCKER_BUILD_FLAGS=--network=host where the engine has no default bridge
# (dockerd --bridge=none) and the build's pip install would otherwise have no network.
DOCKER_BUILD_FLAGS ?=
NODOCKER_ENV = NER_TAGGER_ML_ROOT=$(LOCAL_ROOT) NER_TAGGER_PYTHON=$(PYTHON) PYTHONPATH=$(CURDIR)

SM_PYTHON ?= 3.10
SM_GLIBC ?= 2.31
SM_IMAGE_PACKAGES ?=
SM_SOURCE ?= $(CURDIR)/build/sagemaker-source

.PHONY: sagemaker-source build byoc-test container-test local-train local-serve local-train-nodocker local-serve-nodocker ping invoke tag login \
	push clean-local

sagemaker-source:
	$(PYTHON) -m ner_tagger.sagemaker.source --dest $(SM_SOURCE) --python-version $(SM_PYTHON) --glibc $(SM_GLIBC) \
		$(if $(SM_IMAGE_PACKAGES),--image-packages,)

build:
	docker build $(DOCKER_BUILD_FLAGS) --build-arg TF_VERSION=$(TF_VERSION) --build-arg VARIANT=$(VARIANT) -t $(LOCAL_IMAGE) .

byoc-test:
	$(PYTHON) -m pytest -q tests/test_container_*.py

container-test:
	PY=$(if $(wildcard .venv/bin/python),$(CURDIR)/.venv/bin/python,) scripts/test_containers.sh

local-train:
	docker run --rm $(DOCKER_RUN_FLAGS) -v "$(LOCAL_ROOT):/opt/ml" $(LOCAL_IMAGE) train

local-serve:
	docker run --rm $(DOCKER_RUN_FLAGS) -p $(PORT):8080 -v "$(LOCAL_ROOT):/opt/ml" $(LOCAL_IMAGE) serve

local-train-nodocker:
	$(NODOCKER_ENV) container/train

local-serve-nodocker:
	$(NODOCKER_ENV) SAGEMAKER_BIND_TO_PORT=$(PORT) container/serve

ping:
	curl -fsS http://localhost:$(PORT)/ping && echo

invoke:
	curl -fsS -H 'Content-Type: application/json' \
		-d '{"instances": ["Going to the Empire State Building with Bob tomorrow", ["Paris", "is", "nice"]]}' \
		http://localhost:$(PORT)/invocations && echo
	printf 'I love New York\nwatching Game of Thrones tonight\n' | curl -fsS -H 'Content-Type: text/plain' \
		--data-binary @- http://localhost:$(PORT)/invocations && echo

tag:
	@test -n "$(ACCOUNT)" -a -n "$(REGION)" || { echo "ACCOUNT/REGION unknown: configure the AWS CLI or pass ACCOUNT=... REGION=..."; exit 2; }
	docker tag $(LOCAL_IMAGE) $(REMOTE_IMAGE)

login:
	@test -n "$(ACCOUNT)" -a -n "$(REGION)" || { echo "ACCOUNT/REGION unknown: configure the AWS CLI or pass ACCOUNT=... REGION=..."; exit 2; }
	aws ecr describe-repositories --region $(REGION) --repository-names $(IMAGE) >/dev/null 2>&1 \
		|| aws ecr create-repository --region $(REGION) --repository-name $(IMAGE) >/dev/null
	aws ecr get-login-password --region $(REGION) | docker login --username AWS --password-stdin $(REGISTRY)

push: build tag login
	docker push $(REMOTE_IMAGE)
	@echo "image_uri=$(REMOTE_IMAGE)"

clean-local:
	rm -rf $(LOCAL_ROOT)/model $(LOCAL_ROOT)/checkpoints $(LOCAL_ROOT)/output
